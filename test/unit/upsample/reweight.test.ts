/**
 * Domain upsampling's mixture arithmetic (ml/mixing/reweight.ts): multipliers on a base mixture, renormalized;
 * weight 0 drops a domain (never drawn by the systematic sampler, even where rounding leaves Σ short of 1); a
 * reweighted policy reads the wrapped one's updates and keeps its state; unknown domains are refused by name.
 */
import { describe, expect, it } from 'vitest';
import { createMixturePolicy } from '../../../ml/mixing/index.ts';
import { checkMultipliers, isIdentity, reweight, reweightedPolicy } from '../../../ml/mixing/reweight.ts';
import { systematicDomains } from '../../../ml/mixing/sampling.ts';

describe('upsample mixture arithmetic', () => {
  it('multiplies each weight and renormalizes; a domain not named keeps 1', () => {
    const w = reweight({ code: 0.2, web: 0.5, math: 0.3 }, { code: 3 });
    expect(w.code).toBeCloseTo(0.6 / 1.4, 12);
    expect(w.web).toBeCloseTo(0.5 / 1.4, 12);
    expect(w.math).toBeCloseTo(0.3 / 1.4, 12);
    expect(reweight({ a: 0.25, b: 0.75 }, { b: 0 })).toEqual({ a: 1, b: 0 });
  });

  it('multipliers all 1 (or none) are the identity; anything else is not', () => {
    expect(isIdentity(undefined)).toBe(true);
    expect(isIdentity({})).toBe(true);
    expect(isIdentity({ a: 1, b: 1 })).toBe(true);
    expect(isIdentity({ a: 1, b: 0 })).toBe(false);
    expect(isIdentity({ a: 2 })).toBe(false);
  });

  it('refuses an unknown domain naming it and the known ones, and dropping every domain', () => {
    expect(() => checkMultipliers(['humor', 'news'], { sports: 2 }, 'with.domains')).toThrow(
      'with.domains.sports: no domain "sports" in the pretrain\'s training data (its domains: humor, news)',
    );
    expect(() => checkMultipliers(['humor', 'news'], { humor: 0, news: 0 }, 'with.domains')).toThrow('with.domains: every domain has weight 0; keep at least one');
    expect(() => checkMultipliers(['humor', 'news'], { humor: 0 }, 'with.domains')).not.toThrow();
  });

  it('a dropped domain is never drawn, even last and with weights summing just under 1', () => {
    const weights = [0.3, 0.7 - 1e-12, 0];
    for (let i = 0; i < 200; i++) expect(systematicDomains(weights, 16, (i * 0.6180339887) % 1)).not.toContain(2);
    expect(systematicDomains([0.5, 0.5 - 1e-15, 0], 4, 0.9999999999)).toEqual([0, 0, 1, 1]);
  });

  it('reweights a policy where it is read and keeps its own updates and state', () => {
    const domains = [
      { name: 'a', tokens: 100 },
      { name: 'b', tokens: 300 },
    ];
    const inner = createMixturePolicy({ method: 'doremi', eta: 1, updateEvery: 5 }, domains);
    const up = reweightedPolicy(inner, { a: 3 });
    expect(up.weights()).toEqual(reweight(inner.weights(), { a: 3 }));
    up.update(5, { a: 4, b: 2 }, { a: 1, b: 0 });
    expect(up.samplingWeights(5)).toEqual(reweight(inner.samplingWeights(5), { a: 3 }));
    expect(up.needsReference).toBe(true);
    expect(up.finalWeights!()).toEqual(reweight(inner.finalWeights!(), { a: 3 }));
    expect(up.state()).toEqual(inner.state());
    const tokenShare = createMixturePolicy({ method: 'static' }, domains);
    expect(reweightedPolicy(tokenShare, { b: 0 }).weights()).toEqual({ a: 1, b: 0 });
  });
});
