/**
 * Braise's online mixing updates against their reference code (test/fixtures/goldens/mixing/updates.json, written
 * by scripts/goldens/mixing_updates.py: the weight updates of sangmichaelxie/doremi, HazyResearch/skill-it and
 * HazyResearch/aioli re-written line by line, DoReMi's in PyTorch, run in float64 on fixed inputs). The policies
 * must agree to 1e-12: the arithmetic is the same, only its order differs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { aioliStep, learnedA } from '../../../ml/mixing/aioli.ts';
import { createMixturePolicy } from '../../../ml/mixing/index.ts';

const FIXTURE = new URL('../../fixtures/goldens/mixing/updates.json', import.meta.url);
const vec = z.array(z.number());
const mat = z.array(vec);
const fixtureSchema = z.object({
  source: z.record(z.string(), z.string()),
  doremi: z.array(
    z.object({
      eta: z.number(),
      smoothing: z.number(),
      vocabSize: z.number().int(),
      domains: z.number().int(),
      steps: z.array(z.object({ domainIds: z.array(z.number().int()), proxyLoss: mat, referenceLoss: mat, weights: vec, average: vec, scores: vec })),
    }),
  ),
  skillit: z.array(z.object({ eta: z.number(), window: z.number().int(), graph: vec.nullable(), losses: mat, weights: mat })),
  aioli: z.array(
    z.object({
      domains: z.number().int(),
      lpRounds: z.number().int(),
      oneHotFactor: z.number(),
      diagonal: z.boolean(),
      normalizeA: z.boolean(),
      ema: z.number().nullable(),
      eta: z.number(),
      rounds: z.array(z.object({ order: z.array(z.number().int()), losses: mat, A: mat, weights: vec })),
    }),
  ),
});
const fixture = fixtureSchema.parse(JSON.parse(readFileSync(FIXTURE, 'utf8')));

const names = (k: number): string[] => Array.from({ length: k }, (_, i) => `d${i}`);
const domainsOf = (k: number) => names(k).map((name) => ({ name, tokens: 1000 }));
const asVector = (k: number, r: Record<string, number>): number[] => names(k).map((n) => r[n]!);
function expectClose(actual: readonly number[], expected: readonly number[], digits = 12): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, digits));
}

describe('DoReMi matches sangmichaelxie/doremi update_domain_weights', () => {
  it.each(fixture.doremi.map((c) => [`η ${c.eta}, smoothing ${c.smoothing}`, c] as const))('%s: weights, scores and their time average, step by step', (_, c) => {
    const policy = createMixturePolicy({ method: 'doremi', eta: c.eta, smoothing: c.smoothing, updateEvery: 1 }, domainsOf(c.domains), { vocabSize: c.vocabSize });
    c.steps.forEach((s, step) => {
      // What MixtureRun hands the policy: per domain, the mean over its rows' tokens of max(ℓθ − ℓref, 0).
      const sums = new Map<string, [number, number]>();
      s.domainIds.forEach((d, r) => {
        const row = s.proxyLoss[r]!.reduce((a, l, t) => a + Math.max(l - s.referenceLoss[r]![t]!, 0), 0);
        const [e, n] = sums.get(`d${d}`) ?? [0, 0];
        sums.set(`d${d}`, [e + row, n + s.proxyLoss[r]!.length]);
      });
      policy.update(step + 1, {}, Object.fromEntries([...sums].map(([n, [e, t]]) => [n, e / t])));
      expectClose(asVector(c.domains, policy.weights()), s.weights);
      expectClose(asVector(c.domains, policy.finalWeights!()), s.average);
      expectClose(asVector(c.domains, (policy.state() as { scores: Record<string, number> }).scores), s.scores);
    });
  });
});

describe('Skill-It matches HazyResearch/skill-it MWTrainer', () => {
  it.each(fixture.skillit.map((c) => [`η ${c.eta}, window ${c.window}, ${c.graph ? 'graph' : 'identity'}`, c] as const))('%s: the first mixture and every update', (_, c) => {
    const k = c.losses[0]!.length;
    const n = names(k);
    const graph = c.graph === null ? undefined : Object.fromEntries(n.map((from, i) => [from, Object.fromEntries(n.map((to, j) => [to, c.graph![i * k + j]!]))]));
    const policy = createMixturePolicy({ method: 'skill-it', eta: c.eta, window: c.window, updateEvery: 1, ...(graph ? { graph } : {}) }, domainsOf(k));
    expectClose(asVector(k, policy.weights()), c.weights[0]!);
    c.losses.forEach((loss, t) => {
      policy.update(t + 1, Object.fromEntries(n.map((d, i) => [d, loss[i]!])));
      expectClose(asVector(k, policy.weights()), c.weights[t + 1]!);
    });
  });
});

describe('Aioli matches HazyResearch/aioli AioliTrainer', () => {
  it.each(fixture.aioli.map((c) => [`k ${c.domains}, lpRounds ${c.lpRounds}, f ${c.oneHotFactor}${c.diagonal ? ' diagonal' : ''}, normalize ${c.normalizeA}, ema ${c.ema}`, c] as const))(
    '%s: LearnParams’ A and the weights, round by round',
    (_, c) => {
      let p = Array.from({ length: c.domains }, () => 1 / c.domains);
      let emaA: number[][] | null = null;
      for (const r of c.rounds) {
        const A = learnedA(r.order, r.losses, { lpRounds: c.lpRounds, oneHotFactor: c.oneHotFactor, diagonal: c.diagonal });
        A.forEach((row, i) => expectClose(row, r.A[i]!, 10));
        ({ p, emaA } = aioliStep(p, A, emaA, { eta: c.eta, normalizeA: c.normalizeA, ...(c.ema !== null ? { ema: c.ema } : {}) }));
        expectClose(p, r.weights, 10);
      }
    },
  );
});
