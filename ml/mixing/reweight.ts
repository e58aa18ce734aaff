/**
 * Domain upsampling's mixture arithmetic (the `upsample` stage; Blakeney et al. 2024): per-domain
 * multipliers applied to a base mixture, renormalized. A domain not named keeps multiplier 1, a multiplier
 * of 0 drops it; the base is the pretrain's own mixture (its policy's weights, step by step) or, for a
 * pretrain that drew windows of the concatenated data, each domain's token share. Pure (no tensors).
 */
import { JobInputError } from '../errors.ts';
import type { MixturePolicy } from './spec.ts';

/** True when `multipliers` changes nothing: none given, or every one is exactly 1. */
export function isIdentity(multipliers: Readonly<Record<string, number>> | undefined): boolean {
  return multipliers === undefined || Object.values(multipliers).every((m) => m === 1);
}

/**
 * Refuses multipliers naming a domain the data lacks (`<where>.<name>: no domain "<name>" …, its domains: …`)
 * and multipliers that drop every domain.
 */
export function checkMultipliers(names: readonly string[], multipliers: Readonly<Record<string, number>>, where: string): void {
  for (const key of Object.keys(multipliers)) {
    if (!names.includes(key)) throw new JobInputError(`${where}.${key}: no domain "${key}" in the pretrain's training data (its domains: ${names.join(', ')})`);
  }
  if (names.every((n) => (multipliers[n] ?? 1) === 0)) throw new JobInputError(`${where}: every domain has weight 0; keep at least one`);
}

/** p'_j = m_j · p_j / Σ_k m_k · p_k over the domains of `base` (m_j = 1 when not named). */
export function reweight(base: Readonly<Record<string, number>>, multipliers: Readonly<Record<string, number>>, where = 'domains'): Record<string, number> {
  const names = Object.keys(base);
  const raw = names.map((n) => base[n]! * (multipliers[n] ?? 1));
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0) || !Number.isFinite(total)) {
    throw new JobInputError(`${where}: the reweighted mixture has no weight left (base ${JSON.stringify(base)}, multipliers ${JSON.stringify(multipliers)})`);
  }
  return Object.fromEntries(names.map((n, i) => [n, raw[i]! / total]));
}

/**
 * `policy` with its weights reweighted by `multipliers` wherever it is read (the mixture a step samples from
 * and the one reported); its updates, probes and state are the wrapped policy's own, so a checkpoint of
 * either reads back into the other.
 */
export function reweightedPolicy(policy: MixturePolicy, multipliers: Readonly<Record<string, number>>): MixturePolicy {
  return {
    method: policy.method,
    weights: () => reweight(policy.weights(), multipliers),
    samplingWeights: (step) => reweight(policy.samplingWeights(step), multipliers),
    finalWeights: () => reweight(policy.finalWeights?.() ?? policy.weights(), multipliers),
    ...(policy.needsReference ? { needsReference: true } : {}),
    update: (step, loss, excess) => policy.update(step, loss, excess),
    wantsProbe: (step) => policy.wantsProbe(step),
    observeProbe: (step, loss) => policy.observeProbe(step, loss),
    state: () => policy.state(),
  };
}
