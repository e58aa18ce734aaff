/**
 * Braise's merge methods against mergekit's own (test/fixtures/goldens/mergekit/merges.json, written by
 * scripts/goldens/mergekit_merges.py: mergekit's merge_tensors in float64 on fixed float32 inputs). DARE's
 * random masks are the fixture's (mergekit's torch.bernoulli replaced by recorded masks), so these compare
 * everything that is deterministic given the masks; merge-methods.test.ts holds the random part's properties.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { linear, slerp, taskArithmetic, type Sparsify } from '../../../ml/merge/methods.ts';

const FIXTURE = new URL('../../fixtures/goldens/mergekit/merges.json', import.meta.url);

const caseSchema = z.object({
  name: z.string(),
  method: z.enum(['linear', 'slerp', 'task_arithmetic', 'ties', 'dare_linear', 'dare_ties']),
  shape: z.array(z.number().int()),
  params: z.object({
    weight: z.array(z.number()).optional(),
    normalize: z.boolean().optional(),
    t: z.number().optional(),
    lambda: z.number().optional(),
    density: z.number().optional(),
    rescale: z.boolean().optional(),
  }),
  base: z.array(z.number()).nullable(),
  models: z.array(z.array(z.number())),
  masks: z.array(z.array(z.number().int())).nullable(),
  expected: z.array(z.number()),
});
const fixture = z.object({ mergekit: z.string(), dtype: z.literal('float64'), cases: z.array(caseSchema) }).parse(JSON.parse(readFileSync(FIXTURE, 'utf8')));

type Case = z.output<typeof caseSchema>;

/** mergekit's defaults per method (registry.py), as Braise's settings fill them. */
function braiseMerge(c: Case): Float32Array {
  const models = c.models.map((m) => Float32Array.from(m));
  const weights = c.params.weight ?? models.map(() => 1);
  const lambda = c.params.lambda ?? 1;
  const density = c.params.density ?? 1;
  const base = Float32Array.from(c.base ?? []);
  switch (c.method) {
    case 'linear':
      return linear(models, weights, c.params.normalize ?? true);
    case 'slerp':
      return slerp(c.params.t!, models[0]!, models[1]!);
    case 'task_arithmetic':
      return taskArithmetic(base, models, weights, { sparsify: { kind: 'none' }, signConsensus: false, normalize: c.params.normalize ?? false, lambda }).values;
    case 'ties':
      return taskArithmetic(base, models, weights, { sparsify: { kind: 'magnitude', density }, signConsensus: true, normalize: c.params.normalize ?? true, lambda }).values;
    case 'dare_linear':
    case 'dare_ties': {
      const masks = c.masks!;
      const sparsify: Sparsify = { kind: 'random', density, rescale: c.params.rescale ?? true, masks: (i) => Uint8Array.from(masks[i]!) };
      return taskArithmetic(base, models, weights, { sparsify, signConsensus: c.method === 'dare_ties', normalize: c.params.normalize ?? false, lambda }).values;
    }
  }
}

/**
 * Largest |braise − mergekit| over all cases, absolute and relative to the tensor's scale (max |mergekit|):
 * entries near 0 after cancellation (θ_base + δ ≈ 0) make an entry-wise relative error meaningless.
 */
const worst = { abs: 0, rel: 0 };

describe(`merges agree with mergekit ${fixture.mergekit} (float64 reference)`, () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const got = braiseMerge(c);
    expect(got.length).toBe(c.expected.length);
    const scale = Math.max(...c.expected.map(Math.abs));
    let abs = 0;
    let at = 0;
    for (let j = 0; j < got.length; j++) {
      const e = Math.abs(got[j]! - c.expected[j]!);
      if (e > abs) [abs, at] = [e, j];
    }
    worst.abs = Math.max(worst.abs, abs);
    worst.rel = Math.max(worst.rel, abs / scale);
    // A float32 result of a float64 computation: within a float32 rounding of the reference (mergekit's DARE
    // prunes in float32 on CPU, bernoulli's work dtype, which adds its own rounding of the task vectors).
    expect(abs / scale, `${c.name}: entry ${at}: ${got[at]} vs ${c.expected[at]}`).toBeLessThan(1e-6);
  });

  it('covers every method and both DARE variants', () => {
    expect(new Set(fixture.cases.map((c) => c.method))).toEqual(new Set(['linear', 'slerp', 'task_arithmetic', 'ties', 'dare_linear', 'dare_ties']));
    console.log(`max error vs mergekit ${fixture.mergekit}: abs ${worst.abs.toExponential(2)}, rel ${worst.rel.toExponential(2)}`);
  });
});
