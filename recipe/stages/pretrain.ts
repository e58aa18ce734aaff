/**
 * `pretrain`: trains the recipe's GPT in the trainer child process (activities/pretrain/, ml/trainer/), with
 * an optional online mixture or a dataset-decomposition curriculum. Its dependent defaults (the warmup
 * from `steps`, each mixture method's own parameters) are filled by {@link pretrainSettings} at compile
 * time, so the plan shows them and its fingerprint changes exactly when the trainer's behaviour can.
 */
import { z } from 'zod';
import { frac, lr, pos, posInt } from './common.ts';
import type { StageSpec } from './spec.ts';

const sequenceLength = z
  .object({
    curriculum: z.literal('decomposition'),
    buckets: z.array(posInt).min(1).default([16, 32, 64]),
  })
  .strict();

export const MIXTURE_METHODS = ['static', 'temperature', 'stratified', 'aioli', 'doremi', 'skill-it'] as const;

export const pretrainWith = z
  .object({
    steps: posInt.max(1_000_000).default(300),
    batchSize: posInt.max(4096).default(16),
    lr: lr.default(3e-3),
    /** Default: a tenth of `steps`, at most 100. */
    warmupSteps: z.number().int().min(0).optional(),
    minLrRatio: frac.default(0.1),
    weightDecay: z.number().min(0).default(0.1),
    gradClip: pos.default(1),
    checkpointEvery: posInt.default(50),
    holdout: z.number().min(0).max(0.5).default(0.1),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    sequenceLength: sequenceLength.optional(),
    /**
     * Online domain reweighting during training (or static weights); overrides a mixture spec carried by the input
     * dataset. Defaults by method: temperature 2; eta 1 and updateEvery 25 for doremi, skill-it and aioli.
     */
    mixture: z
      .object({
        method: z.enum(MIXTURE_METHODS),
        weights: z.record(z.string(), z.number().min(0)).optional(),
        temperature: pos.optional(),
        eta: pos.optional(),
        updateEvery: posInt.optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((w) => !(w.mixture && w.sequenceLength), {
    message: 'mixture and sequenceLength cannot be combined yet: use one per pretrain stage',
    path: ['sequenceLength'],
  });

export type PretrainWith = z.output<typeof pretrainWith>;

/** A mixture as the trainer runs it: only the method's own parameters, each with its default (ml/mixing/spec.ts's MixtureJobSpec). */
export type ResolvedMixture =
  | { method: 'static'; weights?: Record<string, number> }
  | { method: 'temperature'; temperature: number }
  | { method: 'stratified' }
  | { method: 'doremi' | 'skill-it' | 'aioli'; eta: number; updateEvery: number };

/** The mixture's method-specific defaults; parameters other methods ignore are dropped (they cannot change the run). */
export function resolveMixture(m: NonNullable<PretrainWith['mixture']>): ResolvedMixture {
  switch (m.method) {
    case 'static':
      return m.weights !== undefined ? { method: 'static', weights: m.weights } : { method: 'static' };
    case 'temperature':
      return { method: 'temperature', temperature: m.temperature ?? 2 };
    case 'stratified':
      return { method: 'stratified' };
    case 'doremi':
    case 'skill-it':
    case 'aioli':
      return { method: m.method, eta: m.eta ?? 1, updateEvery: m.updateEvery ?? 25 };
  }
}

/** The settings a pretrain stage runs with: `with` plus its warmup and its mixture's defaults. */
export const pretrainSettings = pretrainWith.transform(({ mixture, ...w }) => ({
  ...w,
  warmupSteps: w.warmupSteps ?? Math.min(100, Math.floor(w.steps / 10)),
  ...(mixture !== undefined ? { mixture: resolveMixture(mixture) } : {}),
}));

export type PretrainSettings = z.output<typeof pretrainSettings>;

export const pretrainStage = {
  kind: 'pretrain',
  summary: 'a GPT in TensorFlow.js (AdamW, warmup + cosine, checkpoints), optional online mixtures or a length curriculum',
  with: pretrainWith,
  settings: pretrainSettings,
  inputs: { accepts: ['dataset'], requires: 'dataset' },
  roles: {},
  ports: { model: 'model', heldout: 'dataset' },
  queue: 'braise-gpu',
  long: true,
  available: true,
  implVersion: '1',
  trains: true,
  headline: ['first_loss', 'final_loss', 'steps'],
} as const satisfies StageSpec<'pretrain', typeof pretrainWith, typeof pretrainSettings>;
