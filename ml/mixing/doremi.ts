import { z } from 'zod';
import { JobInputError } from '../errors.ts';
import { exponentiatedStep, fromRecord, mixWithUniform, toRecord, uniform } from './simplex.ts';
import type { MixtureDomain, MixturePolicy } from './spec.ts';

/** Options of {@link doremiPolicy}, as in the `doremi` {@link MixtureSpec}. */
export interface DoremiOptions {
  eta: number;
  smoothing?: number;
  referenceLoss?: Record<string, number>;
}

const stateSchema = z.object({
  method: z.literal('doremi'),
  alpha: z.record(z.string(), z.number()),
  reference: z.record(z.string(), z.number()),
  lastLoss: z.record(z.string(), z.number()),
});

/**
 * DoReMi (Xie et al. 2023, "DoReMi: Optimizing Data Mixtures Speeds Up Language Model Pretraining",
 * Algorithm 1), applied online to the model being trained. At each update, with per-domain loss ℓ_i
 * and reference loss ℓ_ref,i:
 *
 *   λ_i = max(ℓ_i − ℓ_ref,i, 0)                 (excess loss, clipped at 0)
 *   α'  = α ⊙ exp(η · λ), normalized            (exponentiated-gradient ascent on the excess)
 *   α   = (1 − c) · α' + c · u                  (smoothing with the uniform u; c = `smoothing`, default 1e-3)
 *
 * α starts uniform. Deviations from the paper, all from running online on one model: the paper
 * trains a separate proxy model with the excess-loss–weighted objective and then trains the main
 * model on the proxy's time-averaged α; here rows are resampled from the current α and the losses are
 * the mean training losses since the previous update, not one minibatch's.
 *
 * Reference loss: the paper's comes from a reference model trained on a baseline mixture; pass it as
 * `referenceLoss` (a reference run's `PretrainResult.domainLoss` is exactly that). Without it, each
 * domain's reference is its loss at the first update that observed it. That choice makes λ measure
 * how far a domain's loss has risen above its early level, so while every loss keeps falling the
 * weights stay at (smoothed) uniform and only a domain that is being forgotten gains weight: a
 * conservative default, not the paper's behaviour.
 *
 * A domain absent from an update (not sampled since the previous one) keeps its last observed loss;
 * one never observed has λ = 0.
 */
export function doremiPolicy(domains: readonly MixtureDomain[], o: DoremiOptions, where: string, saved?: unknown): MixturePolicy {
  const names = domains.map((d) => d.name);
  const c = o.smoothing ?? 1e-3;
  if (!(o.eta > 0)) throw new JobInputError(`${where}.eta: expected a number > 0`);
  if (!(c >= 0 && c <= 1)) throw new JobInputError(`${where}.smoothing: expected a number in [0, 1]`);
  let alpha = uniform(names.length);
  const reference = new Map<string, number>();
  if (o.referenceLoss !== undefined) {
    const ref = fromRecord(names, o.referenceLoss, `${where}.referenceLoss`, (n) => {
      throw new JobInputError(`${where}.referenceLoss.${n}: missing; give a reference loss for every domain (${names.join(', ')})`);
    });
    names.forEach((n, i) => reference.set(n, ref[i]!));
  }
  const lastLoss = new Map<string, number>();
  if (saved !== undefined) {
    const s = stateSchema.parse(saved);
    alpha = fromRecord(names, s.alpha, `${where} (checkpoint state).alpha`, () => 0);
    for (const [k, v] of Object.entries(s.reference)) reference.set(k, v);
    for (const [k, v] of Object.entries(s.lastLoss)) lastLoss.set(k, v);
  }

  const weights = (): Record<string, number> => toRecord(names, alpha);
  return {
    method: 'doremi',
    weights,
    samplingWeights: weights,
    wantsProbe: () => false,
    observeProbe: () => undefined,
    update(_step, perDomainLoss) {
      for (const [name, loss] of Object.entries(perDomainLoss)) {
        if (!names.includes(name)) continue;
        lastLoss.set(name, loss);
        if (!reference.has(name)) reference.set(name, loss);
      }
      const excess = names.map((n) => {
        const l = lastLoss.get(n);
        const r = reference.get(n);
        return l === undefined || r === undefined ? 0 : Math.max(l - r, 0);
      });
      alpha = mixWithUniform(exponentiatedStep(alpha, excess, o.eta), c);
    },
    state: () => ({
      method: 'doremi',
      alpha: weights(),
      reference: Object.fromEntries(reference),
      lastLoss: Object.fromEntries(lastLoss),
    }),
  };
}
