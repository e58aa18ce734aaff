import { JobInputError } from '../errors.ts';
import { fromRecord, normalize, toRecord, uniform } from './simplex.ts';
import type { MixtureDomain, MixturePolicy } from './spec.ts';

/** A policy whose weights never change; `update` and probes are no-ops. */
function fixedPolicy(method: string, names: readonly string[], p: readonly number[]): MixturePolicy {
  const weights = toRecord(names, p);
  return {
    method,
    weights: () => ({ ...weights }),
    samplingWeights: () => ({ ...weights }),
    update: () => undefined,
    wantsProbe: () => false,
    observeProbe: () => undefined,
    state: () => ({ method, weights: { ...weights } }),
  };
}

/**
 * `static`: the given weights, normalized (domains not named get 0); without weights, proportional
 * to each domain's token count (what concatenating all data would give).
 */
export function staticPolicy(domains: readonly MixtureDomain[], weights: Record<string, number> | undefined, where: string): MixturePolicy {
  const names = domains.map((d) => d.name);
  const raw = weights === undefined ? domains.map((d) => d.tokens) : fromRecord(names, weights, `${where}.weights`, () => 0);
  return fixedPolicy('static', names, normalize(raw, weights === undefined ? where : `${where}.weights`));
}

/**
 * `temperature`: p_i ∝ n_i^(1/T) over token counts n_i, as in multilingual sampling (e.g. XLM-R,
 * mT5's α = 1/T). T = 1 is proportional; large T approaches uniform.
 */
export function temperaturePolicy(domains: readonly MixtureDomain[], temperature: number, where: string): MixturePolicy {
  if (!(temperature > 0)) throw new JobInputError(`${where}.temperature: expected a number > 0`);
  const names = domains.map((d) => d.name);
  // Scale by the largest count first so n^(1/T) cannot overflow for small T.
  const max = Math.max(...domains.map((d) => d.tokens));
  return fixedPolicy('temperature', names, normalize(domains.map((d) => (d.tokens / max) ** (1 / temperature)), where));
}

/** `stratified`: uniform over domains, whatever their sizes. */
export function stratifiedPolicy(domains: readonly MixtureDomain[]): MixturePolicy {
  return fixedPolicy('stratified', domains.map((d) => d.name), uniform(domains.length));
}
