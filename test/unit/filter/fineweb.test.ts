import { describe, expect, it } from 'vitest';
import { createRule } from '../../../activities/filter/rules/index.ts';
import { word } from './golden.ts';

const check = (text: string, options?: Record<string, unknown>) => {
  const r = createRule('fineweb', options).check({ id: 'd', text });
  return r.keep ? 'keep' : r.reason;
};

/** Distinct lines of more than 30 characters; the first `punctuated` end with a period. */
const doc = (n: number, punctuated: number) =>
  Array.from({ length: n }, (_, i) => `Line ${word(i)} of this document goes on${i < punctuated ? '.' : ''}`).join('\n');

describe('fineweb', () => {
  it('needs at least 12% of non-empty lines to end in terminal punctuation', () => {
    expect(check(doc(8, 1))).toBe('keep');
    expect(check(doc(9, 1))).toBe('line_punct_ratio');
    // Blank lines do not count.
    expect(check(doc(8, 1).replaceAll('\n', '\n\n'))).toBe('keep');
  });

  it("uses datatrove's TERMINAL_PUNCTUATION, which leaves out quotes, unless stopChars says otherwise", () => {
    const quoted = Array.from({ length: 9 }, (_, i) => `He said that the answer was "${word(i)}."`).join('\n').replaceAll('."', '"');
    expect(check(quoted)).toBe('line_punct_ratio');
    expect(check(quoted, { stopChars: ['"'] })).toBe('keep');
  });

  it('allows at most 67% of lines of 30 characters or fewer', () => {
    const short = (n: number) => Array.from({ length: n }, (_, i) => `Short ${word(i)}.`);
    const long = (n: number) => doc(n, n).split('\n');
    expect(check([...short(2), ...long(1)].join('\n'))).toBe('keep');
    expect(check([...short(3), ...long(1)].join('\n'))).toBe('short_line_ratio');
    expect(check([...short(3), ...long(1)].join('\n'), { shortLineLength: 5 })).toBe('keep');
  });

  it('rejects documents that are lists: more than 0.3 newlines per word', () => {
    const list = Array.from({ length: 10 }, (_, i) => `Antidisestablishmentarianism${word(i)}.`).join('\n');
    expect(check(list)).toBe('list_ratio');
    expect(check(list, { newLineRatio: 0.5 })).toBe('keep');
  });
});
