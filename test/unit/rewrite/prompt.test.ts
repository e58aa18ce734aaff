import { describe, expect, it } from 'vitest';
import { buildPrompt, extractRewrite, fitPrompt, promptParts, REWIRE_TEMPLATE, truncateUtf8 } from '../../../activities/rewrite/prompt.ts';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('prompt', () => {
  it('puts the document into the REWIRE template once', () => {
    const p = buildPrompt(promptParts(REWIRE_TEMPLATE), 'DOC');
    expect(p.split('DOC')).toHaveLength(2);
    expect(p).toContain('<rewritten>');
    expect(() => promptParts('no slot', 'with.template')).toThrow('with.template: expected exactly one {document} slot, found 0');
  });

  it('truncateUtf8 never splits a character', () => {
    expect(truncateUtf8('héllo', 2)).toBe('h'); // é is 2 bytes: 'hé' needs 3
    expect(truncateUtf8('héllo', 3)).toBe('hé');
    expect(truncateUtf8('héllo', 100)).toBe('héllo');
    expect(truncateUtf8('abc', 0)).toBe('');
  });

  it('fitPrompt keeps the cue, then the document, then the end of the instruction', () => {
    const parts = { before: 'INSTRUCTION LINE ONE\nLINE TWO\n', after: '\nANSWER:' };
    const doc = 'the document text';
    expect(fitPrompt(parts, doc, 1000)).toBe(buildPrompt(parts, doc));
    const tight = fitPrompt(parts, doc, bytes(parts.after) + bytes(doc) + 9);
    expect(tight).toBe('LINE TWO\n' + doc + parts.after);
    const tighter = fitPrompt(parts, doc, bytes(parts.after) + 7);
    expect(tighter).toBe('the doc' + parts.after);
    expect(bytes(fitPrompt(parts, 'ü'.repeat(50), 40))).toBeLessThanOrEqual(40);
  });

  it('extractRewrite takes the tagged text, else the whole answer; null when empty', () => {
    expect(extractRewrite('Reasoning...\n<rewritten>\n Better text. \n</rewritten> bye')).toBe('Better text.');
    expect(extractRewrite('<rewritten>draft</rewritten> then <rewritten>final')).toBe('final');
    expect(extractRewrite('  just text  ')).toBe('just text');
    expect(extractRewrite('<rewritten> </rewritten>')).toBeNull();
    expect(extractRewrite('')).toBeNull();
  });
});
