/**
 * Domain mixture policies for pretraining: static, temperature, stratified, and the online methods
 * DoReMi, Skill-It and Aioli. Pure (no tensors): the trainer feeds them losses and samples rows
 * from their weights.
 */
import { JobInputError } from '../errors.ts';
import { BYTE_VOCAB_SIZE } from '../tokenizer.ts';
import { aioliPolicy } from './aioli.ts';
import { doremiPolicy } from './doremi.ts';
import { staticPolicy, stratifiedPolicy, temperaturePolicy } from './fixed.ts';
import { skillItPolicy } from './skill-it.ts';
import type { MixtureDomain, MixturePolicy, MixtureSpec } from './spec.ts';

export { aioliLastA } from './aioli.ts';
export { mixtureJobSchema, MIXTURE_METHODS } from './spec.ts';
export type { MixtureDomain, MixtureJobSpec, MixturePolicy, MixtureSpec } from './spec.ts';

/** Options of {@link createMixturePolicy}. */
export interface CreatePolicyOptions {
  /** Seeds any randomness a policy has of its own (Aioli's order of perturbed domains). */
  seed?: number;
  /** A {@link MixturePolicy.state} to continue from (a checkpoint's), instead of starting fresh. */
  state?: unknown;
  /** Field path used in error messages; default `mixture`. */
  where?: string;
  /** The tokenizer's vocabulary size (DoReMi's score of a domain not yet seen is its log); default the byte tokenizer's. */
  vocabSize?: number;
}

/**
 * Builds the policy `spec` describes over `domains` (sorted by name; names unique, token counts
 * positive). Bad specs (unknown domain names, out-of-range numbers) throw a {@link JobInputError}
 * naming the field, e.g. `job.mixture.weights.code: no such domain`.
 */
export function createMixturePolicy(
  spec: MixtureSpec,
  domains: ReadonlyArray<MixtureDomain>,
  opts: CreatePolicyOptions = {},
): MixturePolicy {
  const where = opts.where ?? 'mixture';
  if (domains.length === 0) throw new JobInputError(`${where}: no domains to mix`);
  const sorted = [...domains].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  sorted.forEach((d, i) => {
    if (i > 0 && sorted[i - 1]!.name === d.name) throw new JobInputError(`${where}: domain '${d.name}' is listed twice`);
    if (!(d.tokens > 0)) throw new JobInputError(`${where}: domain '${d.name}' has no tokens`);
  });
  const saved = opts.state;
  if (saved !== undefined) {
    const method = (saved as { method?: unknown } | null)?.method;
    if (method !== spec.method) {
      throw new JobInputError(`${where}.method: the checkpoint's mixture state is for '${String(method)}', the job asks for '${spec.method}'`);
    }
  }
  switch (spec.method) {
    case 'static':
      return staticPolicy(sorted, spec.weights, where);
    case 'temperature':
      return temperaturePolicy(sorted, spec.temperature, where);
    case 'stratified':
      return stratifiedPolicy(sorted);
    case 'doremi':
      return doremiPolicy(sorted, { ...spec, vocabSize: opts.vocabSize ?? BYTE_VOCAB_SIZE }, where, saved);
    case 'skill-it':
      return skillItPolicy(sorted, spec, where, saved);
    case 'aioli':
      return aioliPolicy(sorted, { ...spec, seed: opts.seed }, where, saved);
  }
}
