import { describe, expect, it } from 'vitest';
import { createRule } from '../../../activities/filter/rules/index.ts';

const check = (text: string, options?: Record<string, unknown>) => {
  const r = createRule('gopher-quality', options).check({ id: 'd', text });
  return r.keep ? 'keep' : r.reason;
};

/** `n` words cycling through a plain sentence that holds the stop words "the" and "of". */
const plain = (n: number): string => {
  const vocab = 'the quick brown fox jumps over the lazy dog of the village'.split(' ');
  return Array.from({ length: n }, (_, i) => vocab[i % vocab.length]).join(' ');
};

describe('gopher-quality', () => {
  it('needs at least minDocWords (50) words that are not pure punctuation', () => {
    expect(check(plain(50))).toBe('keep');
    expect(check(plain(49))).toBe('gopher_short_doc');
    // Punctuation tokens do not count as words.
    expect(check(`${plain(49)} . , ; !`)).toBe('gopher_short_doc');
  });

  it('rejects more than maxDocWords (100,000) words', () => {
    expect(check(plain(100_000))).toBe('keep');
    expect(check(plain(100_001))).toBe('gopher_long_doc');
  });

  it('requires at least 80% of words to contain a letter (0.8 exactly passes)', () => {
    const numbers = (n: number) => Array.from({ length: n }, (_, i) => String(1000 + i)).join(' ');
    expect(check(`${plain(40)} ${numbers(10)}`)).toBe('keep');
    expect(check(`${plain(40)} ${numbers(11)}`)).toBe('gopher_below_alpha_threshold');
  });

  it('allows at most one `#` per ten words (all tokens, `#` included, count as words here)', () => {
    // 54 words + 6 `#` tokens: 6 / 60 = 0.1 passes; one more `#` tips it over.
    expect(check(`${plain(54)} ${'# '.repeat(6)}`)).toBe('keep');
    expect(check(`${plain(54)} ${'# '.repeat(7)}`)).toBe('gopher_too_many_hashes');
  });

  it('counts distinct stop words, not occurrences', () => {
    const onlyThe = Array(60).fill('the harbour').join(' ');
    expect(check(onlyThe)).toBe('gopher_enough_stop_words');
    expect(check(`${onlyThe} of`)).toBe('keep');
  });

  it('checks the average word length of non-symbol words against [3, 10]', () => {
    // An average of exactly 3 passes; 2.98 does not.
    expect(check(Array(50).fill('abc').join(' ') + ' the and')).toBe('keep');
    expect(check(Array(50).fill('abc').join(' ') + ' the of')).toBe('gopher_below_avg_threshold');
    expect(check(Array(50).fill('abcdefghij').join(' ') + ' the and')).toBe('keep');
    expect(check(Array(50).fill('abcdefghijk').join(' ') + ' the and')).toBe('gopher_above_avg_threshold');
  });

  it('takes option overrides, and null turns a check off', () => {
    expect(check(plain(20), { minDocWords: 20 })).toBe('keep');
    const numbersOnly = Array(60).fill('1999 2000 the of').join(' ');
    expect(check(numbersOnly)).toBe('gopher_below_alpha_threshold');
    expect(check(numbersOnly, { maxNonAlphaWordsRatio: null })).toBe('keep');
    expect(check(plain(60), { stopWords: ['village', 'harbour'] })).toBe('gopher_enough_stop_words');
  });
});
