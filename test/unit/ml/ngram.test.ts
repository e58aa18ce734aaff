import { describe, expect, it } from 'vitest';
import { fitNgram } from '../../../ml/ngram.ts';

// A 4-symbol vocabulary: a=0, b=1, c=2, EOS=3. Training documents "ab" and "b" are the sequences
// E E a b E and E E b E: targets a b E b E (N = 5; c(a)=1, c(b)=2, c(E)=2).
const V = 4;
const E = 3;
const [a, b, c] = [0, 1, 2];
const model = fitNgram([[a, b], [b]], V, E);

describe('n-gram baselines', () => {
  it('unigram: add-one over the vocabulary', () => {
    expect(model.unigram(a)).toBeCloseTo(2 / 9, 12); // (1+1)/(5+4)
    expect(model.unigram(b)).toBeCloseTo(3 / 9, 12);
    expect(model.unigram(c)).toBeCloseTo(1 / 9, 12);
    expect(model.unigram(E)).toBeCloseTo(3 / 9, 12);
  });

  it('bigram: Witten-Bell interpolation with the unigram', () => {
    // After E: a once, b once (c(E·)=2, T(E)=2).
    expect(model.bigram(E, a)).toBeCloseTo((1 + 2 * (2 / 9)) / 4, 12);
    expect(model.bigram(E, c)).toBeCloseTo((0 + 2 * (1 / 9)) / 4, 12);
    // After b: E twice (c(b·)=2, T(b)=1).
    expect(model.bigram(b, E)).toBeCloseTo((2 + 1 * (3 / 9)) / 3, 12);
    // c was never a history: the unigram.
    expect(model.bigram(c, a)).toBeCloseTo(2 / 9, 12);
  });

  it('trigram: Witten-Bell interpolation with the bigram', () => {
    // After (E, E): a once, b once.
    const pbE = (1 + 2 * (3 / 9)) / 4;
    expect(model.trigram(E, E, b)).toBeCloseTo((1 + 2 * pbE) / 4, 12);
    // After (E, a): b once; E never followed a, so p(E | a) = (0 + 1·p₁(E)) / (1 + 1).
    expect(model.trigram(E, a, E)).toBeCloseTo((0 + 1 * ((3 / 9) / 2)) / 2, 12);
    // (a, a) never seen: the bigram p(b | a) = (1 + 1·p₁(b)) / 2.
    expect(model.trigram(a, a, b)).toBeCloseTo((1 + 3 / 9) / 2, 12);
  });

  it('scores a document as its bytes and the closing EOS, from the start padding', () => {
    const nll = model.documentNll([a]); // E E a E: targets a (after E E) and E (after E a)
    expect(nll.unigram).toBeCloseTo(-Math.log(2 / 9) - Math.log(3 / 9), 12);
    expect(nll.bigram).toBeCloseTo(-Math.log(model.bigram(E, a)) - Math.log(model.bigram(a, E)), 12);
    expect(nll.trigram).toBeCloseTo(-Math.log(model.trigram(E, E, a)) - Math.log(model.trigram(E, a, E)), 12);
  });

  it('gives distributions that sum to one for every history, seen or not', () => {
    for (const v of [a, b, c, E]) {
      for (const u of [a, b, c, E]) {
        let s2 = 0;
        let s3 = 0;
        for (let w = 0; w < V; w++) {
          s2 += model.bigram(u, w);
          s3 += model.trigram(v, u, w);
        }
        expect(s2).toBeCloseTo(1, 12);
        expect(s3).toBeCloseTo(1, 12);
      }
    }
  });

  it('refuses a token id outside the vocabulary', () => {
    expect(() => model.documentNll([7])).toThrow(/token id 7 is outside the vocabulary \[0, 4\)/);
  });
});
