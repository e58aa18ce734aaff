import { z } from 'zod';
import { JobInputError } from '../errors.ts';
import { exponentiatedStep, fromRecord, toRecord, uniform } from './simplex.ts';
import type { MixtureDomain, MixturePolicy } from './spec.ts';

/** Options of {@link skillItPolicy}, as in the `skill-it` {@link MixtureSpec}. */
export interface SkillItOptions {
  eta: number;
  graph?: Record<string, Record<string, number>>;
  window?: number;
}

const stateSchema = z.object({
  method: z.literal('skill-it'),
  p: z.record(z.string(), z.number()),
  lastLoss: z.record(z.string(), z.number()),
  /** The last `window` loss vectors, oldest first. */
  history: z.array(z.record(z.string(), z.number())),
});

/**
 * Skill-It online data selection (Chen et al. 2023, "Skill-it! A Data-Driven Skills Framework for
 * Understanding and Training Language Models", Algorithm 1; HazyResearch/skill-it `trainer/mw_trainer.py`):
 * after every round, from the last `window` (default 3, the reference's `mw_window`) per-domain loss
 * vectors ℓ,
 *
 *   p ∝ exp(η · A Σ_{τ in window} ℓ_τ),   (A ℓ)_i = Σ_j A_ij ℓ_j
 *
 * recomputed from the uniform prior each round (not compounded over the history), where A_ij says how
 * much training on domain i lowers the loss of domain j. A domain is thus up-weighted when it, or the
 * domains it helps, still has high loss. The first mixture is the reference's too: p ∝ exp(η · A 1)
 * (uniform for A = I).
 *
 * The graph: `graph[i][j]`, entries left out 0 (the diagonal too: give `graph[i][i]` for self-help); an
 * off-diagonal 1 becomes 0.5, as the reference reads its 0/1 skill graphs. Without one, A = I: each
 * domain only helps itself, so the rule up-weights the domains with the highest recent loss. (The paper
 * learns A from short runs on each skill; a graph estimated that way can be passed in.)
 * Deviation: the paper uses validation loss measured at the start of each round; here ℓ is the mean
 * training loss of the round. A domain absent from a round keeps its last loss; one never observed
 * gets the mean of the observed ones, which leaves it neither favoured nor penalised.
 */
export function skillItPolicy(domains: readonly MixtureDomain[], o: SkillItOptions, where: string, saved?: unknown): MixturePolicy {
  const names = domains.map((d) => d.name);
  const window = o.window ?? 3;
  if (!(o.eta > 0)) throw new JobInputError(`${where}.eta: expected a number > 0`);
  if (!(Number.isInteger(window) && window >= 1)) throw new JobInputError(`${where}.window: expected an integer >= 1`);
  const A: number[][] = names.map((_, i) => names.map((__, j) => (i === j ? 1 : 0)));
  if (o.graph !== undefined) {
    const graph = o.graph;
    for (const from of Object.keys(graph)) {
      if (!names.includes(from)) throw new JobInputError(`${where}.graph.${from}: no such domain in the training data (domains: ${names.join(', ')})`);
    }
    names.forEach((from, i) => {
      const values = fromRecord(names, graph[from] ?? {}, `${where}.graph.${from}`, () => 0);
      values.forEach((v, j) => (A[i]![j] = i !== j && v === 1 ? 0.5 : v));
    });
  }
  const step = (loss: readonly number[]): number[] =>
    exponentiatedStep(
      uniform(names.length),
      A.map((row) => row.reduce((acc, a, j) => acc + a * loss[j]!, 0)),
      o.eta,
    );
  let p = step(names.map(() => 1));
  const lastLoss = new Map<string, number>();
  let history: number[][] = [];
  if (saved !== undefined) {
    const s = stateSchema.parse(saved);
    p = fromRecord(names, s.p, `${where} (checkpoint state).p`, () => 0);
    for (const [k, v] of Object.entries(s.lastLoss)) lastLoss.set(k, v);
    history = s.history.map((h) => fromRecord(names, h, `${where} (checkpoint state).history`, () => 0));
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
      history = [...history, names.map((n) => lastLoss.get(n) ?? fill)].slice(-window);
      p = step(names.map((_, j) => history.reduce((acc, l) => acc + l[j]!, 0)));
    },
    state: () => ({ method: 'skill-it', p: weights(), lastLoss: Object.fromEntries(lastLoss), history: history.map((h) => toRecord(names, h)) }),
  };
}
