import { describe, expect, it } from 'vitest';
import { createRule } from '../../../activities/filter/rules/index.ts';
import { repeatedPhrase, repeatedRegion, word } from './golden.ts';

const check = (text: string, options?: Record<string, unknown>) => {
  const r = createRule('gopher-repetition', options).check({ id: 'd', text });
  return r.keep ? 'keep' : r.reason;
};

const lines = (n: number) => Array.from({ length: n }, (_, i) => [0, 1, 2, 3, 4].map((k) => word(i * 5 + k)).join(' '));

describe('gopher-repetition', () => {
  it('allows up to 30% duplicated lines', () => {
    // 10 lines, 3 repeat an earlier one: 0.3 passes; 4 of 10 fail. The repeats are short, so their share of
    // characters stays under dupLineCharFrac.
    const three = [...lines(6), ...Array(4).fill('ok')];
    const four = [...lines(5), ...Array(5).fill('ok')];
    expect(check(three.join('\n'))).toBe('keep');
    expect(check(four.join('\n'))).toBe('dup_line_frac');
  });

  it('splits paragraphs on two or more newlines and lines on any run of newlines', () => {
    // Blank lines between repeats make them paragraphs; 2 of 5 paragraphs repeat.
    const paras = ['first one', 'second one', 'first one', 'second one', 'third one'].join('\n\n\n');
    expect(check(paras)).toBe('dup_para_frac');
  });

  it('measures the most frequent n-gram against the whole text', () => {
    expect(check(repeatedPhrase(['yellow', 'submarine'], 8))).toBe('top_2_gram');
    expect(check(repeatedPhrase(['yellow', 'submarine'], 9))).toBe('keep');
  });

  it('counts repeated n-grams once per repeat, skipping past it', () => {
    // A 10-word run repeated once: 10 six-letter words = 60 duplicated characters, against 343 in all (> 0.15),
    // or against 698 with more words in between (< 0.1 for every n).
    expect(check(repeatedRegion(10, 29))).toBe('duplicated_5_n_grams');
    expect(check(repeatedRegion(10, 80))).toBe('keep');
  });

  it('joins the words of a 5–10-gram without spaces, as datatrove does, so a different split of the same letters repeats it', () => {
    const pad = 'then some other words go here and there to pad out the text a bit so it is long enough for all of us';
    const first = 'abcdef ghijkl mnopqr stuvwx yzabcd';
    expect(check(`${first} ${pad} abcdefg hijklm nopqrs tuvwxy zabcd.`)).toBe('duplicated_5_n_grams');
    expect(check(`${first} ${pad} zyxwvu tsrqpo nmlkji hgfedc bazyxw.`)).toBe('keep');
  });

  it('takes n-gram thresholds as [n, fraction] pairs', () => {
    expect(check(repeatedRegion(10, 80), { dupNGrams: [[5, 0.08]] })).toBe('duplicated_5_n_grams');
    expect(check(repeatedPhrase(['yellow', 'submarine'], 4), { topNGrams: [[2, 0.9]] })).not.toBe('top_2_gram');
  });

  it('turns the line and paragraph checks off with null', () => {
    const four = [...lines(5), ...Array(5).fill('ok')].join('\n');
    expect(check(four, { dupLineFrac: null })).toBe('keep');
  });
});
