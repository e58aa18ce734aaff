import { describe, expect, it } from 'vitest';
import { averageRanks, spearman } from '../../../ml/ablation/rank.ts';
import {
  dirichletSample,
  fitRidge,
  gammaSample,
  logSpaced,
  predictBestMixture,
  PROXY_SAMPLING,
  roundToMinimum,
  sampleProxyMixtures,
  temperedPrior,
  topKAverage,
  withinUsageBound,
} from '../../../ml/ablation/regmix.ts';
import { mulberry32 } from '../../../ml/random.ts';

describe('Spearman ρ', () => {
  it('gives 1 and −1 for monotone pairs and scipy’s values with ties', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]).statistic == 0.8207826816681233
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
    expect(averageRanks([10, 20, 10, 30])).toEqual([1.5, 3, 1.5, 4]);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});

describe('RegMix proxy mixtures', () => {
  it('samples Gamma and Dirichlet draws with the right means', () => {
    const rng = mulberry32(7);
    for (const shape of [0.3, 2.5]) {
      const n = 20000;
      let s = 0;
      for (let i = 0; i < n; i++) s += gammaSample(rng, shape);
      expect(s / n).toBeCloseTo(shape, 1);
    }
    const alpha = [0.5, 1, 2.5];
    const mean = [0, 0, 0];
    for (let i = 0; i < 5000; i++) dirichletSample(rng, alpha).forEach((x, j) => (mean[j]! += x / 5000));
    mean.forEach((m, j) => expect(m).toBeCloseTo(alpha[j]! / 4, 1.5));
  });

  it('tempers the prior, spaces strengths, bounds usage and rounds as the reference does', () => {
    const t = temperedPrior([0.64, 0.36], 0.5);
    expect(t[0]).toBeCloseTo(0.8 / 1.4, 12);
    const s = logSpaced(0.1, 5, 15);
    expect(s[0]).toBeCloseTo(0.1, 12);
    expect(s[14]).toBeCloseTo(5, 12);
    expect(s[7]).toBeCloseTo(Math.sqrt(0.5), 12);
    expect(withinUsageBound([0.5, 0.5], [0.02, 0.98], 15)).toBe(false); // 0.5 > 15 × 0.02
    expect(withinUsageBound([0.3, 0.7], [0.02, 0.98], 15)).toBe(true);
    expect(roundToMinimum([0.0001, 0.49995, 0.5], 2e-4)).toEqual([0, expect.closeTo(0.5, 9), expect.closeTo(0.5, 9)]);
  });

  it('draws K distinct seeded mixtures, every one within the usage bound', () => {
    const prior = [0.05, 0.15, 0.3, 0.5];
    const a = sampleProxyMixtures(prior, 8, 42);
    expect(sampleProxyMixtures(prior, 8, 42)).toEqual(a);
    expect(sampleProxyMixtures(prior, 8, 43)).not.toEqual(a);
    expect(a).toHaveLength(8);
    expect(new Set(a.map((w) => w.join(','))).size).toBe(8);
    for (const w of a) {
      expect(w.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 3);
      expect(withinUsageBound(w, prior, PROXY_SAMPLING.maxUsage + 1e-9)).toBe(true);
    }
    // A bound no draw can pass is a clear error, not a loop.
    expect(() => sampleProxyMixtures([0.001, 0.999], 4, 1, { ...PROXY_SAMPLING, maxUsage: 0.5 })).toThrow(/distinct mixtures/);
  });
});

describe('ridge regression and the predicted mixture', () => {
  it('recovers a known linear function and ranks by it', () => {
    const rng = mulberry32(3);
    const f = (x: readonly number[]) => 2 + 3 * x[0]! - 1 * x[1]! + 0.5 * x[2]!;
    const xs = Array.from({ length: 30 }, () => [rng(), rng(), rng()]);
    const model = fitRidge(
      xs,
      xs.map(f),
      0,
    );
    expect(model.coef[0]).toBeCloseTo(3, 8);
    expect(model.coef[1]).toBeCloseTo(-1, 8);
    expect(model.bias).toBeCloseTo(2, 8);
    const test = Array.from({ length: 10 }, () => [rng(), rng(), rng()]);
    expect(spearman(test.map((x) => model.predict(x)), test.map(f))).toBeCloseTo(1, 12);
    // The penalty shrinks the coefficients.
    expect(Math.abs(fitRidge(xs, xs.map(f), 10).coef[0]!)).toBeLessThan(3);
  });

  it('averages the top K rows by lowest score', () => {
    expect(topKAverage([[1, 0], [0, 1], [0.5, 0.5]], [3, 1, 2], 2)).toEqual([0.25, 0.75]);
    expect(topKAverage([[1, 0]], [3], 128)).toEqual([1, 0]);
  });

  it('puts the predicted best mixture where the fitted loss is lowest', () => {
    // Loss falls with domain 1's weight: the best mixture leans on domain 1, more than the prior does.
    const model = fitRidge([[1, 0], [0, 1], [0.5, 0.5]], [3, 1, 2], 1e-9);
    const best = predictBestMixture(model, [0.5, 0.5], { candidates: 2000, topK: 128, seed: 1, temperature: 0.5 });
    expect(best.weights[1]).toBeGreaterThan(0.9);
    expect(best.weights[0]! + best.weights[1]!).toBeCloseTo(1, 9);
    expect(best.predicted).toBeLessThan(1.2);
  });
});
