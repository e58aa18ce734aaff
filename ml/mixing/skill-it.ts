import { z } from 'zod';
import { JobInputError } from '../errors.ts';
import { exponentiatedStep, fromRecord, toRecord, uniform } from './simplex.ts';
import type { MixtureDomain, MixturePolicy } from './spec.ts';

/** Options of {@link skillItPolicy}, as in the `skill-it` {@link MixtureSpec}. */
export interface SkillItOptions {
  eta: number;
  graph?: Record<string, Record<string, number>>;
}

const stateSchema = z.object({
  method: z.literal('skill-it'),
  p: z.record(z.string(), z.number()),
  lastLoss: z.record(z.string(), z.number()),
});

/**
 * Skill-It online data selection (Chen et al. 2023, "Skill-it! A Data-Driven Skills Framework for
 * Understanding and Training Language Models", Algorithm 1), with the loss window covering the whole
 * history, which makes the update multiplicative:
 *
 *   p_{t+1} ∝ p_t ⊙ exp(η · A ℓ_t),   (A ℓ)_i = Σ_j A_ij ℓ_j
 *
 * where ℓ_t is the per-domain loss at update t and A_ij says how much training on domain i lowers the
 * loss of domain j. A domain is thus up-weighted when it, or the domains it helps, still has high
 * loss. p starts uniform.
 *
 * The graph: `graph[i][j]`, entries left out 0 (the diagonal too: give `graph[i][i]` for self-help). Without one, A = I: each domain only helps itself, so
 * the rule up-weights the domains with the highest current loss. (The paper learns A from short
 * runs on each skill; a graph estimated that way, or by Aioli's LearnParams, can be passed in.)
 * Deviation: the paper uses validation loss; here ℓ_t is the mean training loss since the previous
 * update. A domain absent from an update keeps its last loss; one never observed gets the mean of
 * the observed ones, which leaves it neither favoured nor penalised.
 */
export function skillItPolicy(domains: readonly MixtureDomain[], o: SkillItOptions, where: string, saved?: unknown): MixturePolicy {
  const names = domains.map((d) => d.name);
  if (!(o.eta > 0)) throw new JobInputError(`${where}.eta: expected a number > 0`);
  const A: number[][] = names.map((_, i) => names.map((__, j) => (i === j ? 1 : 0)));
  if (o.graph !== undefined) {
    const graph = o.graph;
    for (const from of Object.keys(graph)) {
      if (!names.includes(from)) throw new JobInputError(`${where}.graph.${from}: no such domain in the training data (domains: ${names.join(', ')})`);
    }
    names.forEach((from, i) => {
      const row = graph[from] ?? {};
      const values = fromRecord(names, row, `${where}.graph.${from}`, () => 0);
      values.forEach((v, j) => (A[i]![j] = v));
    });
  }
  let p = uniform(names.length);
  const lastLoss = new Map<string, number>();
  if (saved !== undefined) {
    const s = stateSchema.parse(saved);
    p = fromRecord(names, s.p, `${where} (checkpoint state).p`, () => 0);
    for (const [k, v] of Object.entries(s.lastLoss)) lastLoss.set(k, v);
  }

  const weights = (): Record<string, number> => toRecord(names, p);
  return {
    method: 'skill-it',
    weights,
    samplingWeights: weights,
    wantsProbe: () => false,
    observeProbe: () => undefined,
    update(_step, perDomainLoss) {
      for (const [name, loss] of Object.entries(perDomainLoss)) if (names.includes(name)) lastLoss.set(name, loss);
      if (lastLoss.size === 0) return;
      const seen = [...lastLoss.values()];
      const fill = seen.reduce((a, b) => a + b, 0) / seen.length;
      const loss = names.map((n) => lastLoss.get(n) ?? fill);
      const g = A.map((row) => row.reduce((acc, a, j) => acc + a * loss[j]!, 0));
      p = exponentiatedStep(p, g, o.eta);
    },
    state: () => ({ method: 'skill-it', p: weights(), lastLoss: Object.fromEntries(lastLoss) }),
  };
}
