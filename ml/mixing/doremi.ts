import { z } from 'zod';
import { JobInputError } from '../errors.ts';
import { exponentiatedStep, fromRecord, mixWithUniform, toRecord, uniform } from './simplex.ts';
import type { MixtureDomain, MixturePolicy } from './spec.ts';

/** Options of {@link doremiPolicy}, as in the `doremi` {@link MixtureSpec}. */
export interface DoremiOptions {
  eta: number;
  smoothing?: number;
  /** The tokenizer's vocabulary size V: a domain's score before it is first seen is ln V, as the reference's. */
  vocabSize: number;
}

const stateSchema = z.object({
  method: z.literal('doremi'),
  alpha: z.record(z.string(), z.number()),
  /** The time average of α over its initial value and every update (the reference's `avg_domain_weights`). */
  average: z.record(z.string(), z.number()),
  /** How many α the average holds (the reference's `update_counter`, which starts at 1). */
  counted: z.number().int().positive(),
  /** The last per-domain score (the reference's `perdomain_scores`). */
  scores: z.record(z.string(), z.number()),
});

/**
 * DoReMi (Xie et al. 2023, "DoReMi: Optimizing Data Mixtures Speeds Up Language Model Pretraining",
 * Algorithm 1; sangmichaelxie/doremi `doremi/trainer.py` `update_domain_weights` and `write_weights`),
 * applied online to the model being trained. At each update, for every domain i with tokens since the
 * previous update:
 *
 *   λ_i = mean over domain i's tokens of max(ℓθ(x) − ℓref(x), 0)   (per-token excess loss, clipped per token)
 *   α'  = α ⊙ exp(η · λ), normalized                           (exponentiated-gradient ascent, in log space)
 *   α   = (1 − c) · α' + c · u                                 (smoothing with the uniform u; c = `smoothing`)
 *
 * ℓθ is the trained model's per-token loss in the forward pass of its step, ℓref the frozen reference
 * model's on the same tokens (the trainer runs both; `needsReference`). A domain without tokens since the
 * last update keeps its previous λ; before its first, λ = ln V, as the reference initialises
 * `perdomain_scores`. α starts uniform; the result ({@link MixturePolicy.finalWeights}) is the time average
 * of α over its initial value and every update, the reference's `avg_domain_weights`, which its final
 * run trains on. The reference updates after every step (its default here: `updateEvery` 1); with a
 * longer period λ averages the tokens of all the steps since the last update.
 *
 * Where Braise differs, from running online on one model: the reference trains a proxy whose loss weights
 * each domain's tokens by α (rows sampled from a fixed mixture), then trains the main model on the average
 * α; here rows are resampled from the current α, and the trained model is the proxy.
 */
export function doremiPolicy(domains: readonly MixtureDomain[], o: DoremiOptions, where: string, saved?: unknown): MixturePolicy {
  const names = domains.map((d) => d.name);
  const c = o.smoothing ?? 1e-3;
  if (!(o.eta > 0)) throw new JobInputError(`${where}.eta: expected a number > 0`);
  if (!(c >= 0 && c <= 1)) throw new JobInputError(`${where}.smoothing: expected a number in [0, 1]`);
  let alpha = uniform(names.length);
  let average = [...alpha];
  let counted = 1;
  let scores = names.map(() => Math.log(o.vocabSize));
  if (saved !== undefined) {
    const s = stateSchema.parse(saved);
    const read = (r: Record<string, number>, field: string) => fromRecord(names, r, `${where} (checkpoint state).${field}`, () => 0);
    alpha = read(s.alpha, 'alpha');
    average = read(s.average, 'average');
    scores = read(s.scores, 'scores');
    counted = s.counted;
  }

  const weights = (): Record<string, number> => toRecord(names, alpha);
  return {
    method: 'doremi',
    needsReference: true,
    weights,
    samplingWeights: weights,
    finalWeights: () => toRecord(names, average),
    wantsProbe: () => false,
    observeProbe: () => undefined,
    update(_step, _perDomainLoss, perDomainExcess) {
      if (perDomainExcess === undefined) throw new Error('doremi: an update without per-token excess losses (the trainer must score a reference model)');
      scores = names.map((n, i) => perDomainExcess[n] ?? scores[i]!);
      alpha = mixWithUniform(exponentiatedStep(alpha, scores, o.eta), c);
      counted += 1;
      average = average.map((a, i) => (a * (counted - 1) + alpha[i]!) / counted);
    },
    state: () => ({ method: 'doremi', alpha: weights(), average: toRecord(names, average), counted, scores: toRecord(names, scores) }),
  };
}
