/**
 * `pretrain`: trains the recipe's GPT in the trainer child process (activities/pretrain/, ml/trainer/), with
 * an optional online mixture or a dataset-decomposition curriculum. Its dependent defaults (the warmup
 * from `steps`, each mixture method's own parameters) are filled by {@link pretrainSettings} at compile
 * time, so the plan shows them and its fingerprint changes exactly when the trainer's behaviour can.
 */
import { z } from 'zod';
import { domainsOf, frac, lr, pos, posInt, refSchema } from './common.ts';
import type { StageContext, StageSpec, WithIssue } from './spec.ts';

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
     * dataset. Defaults by method, each its reference's (ml/mixing/): temperature 2; doremi eta 1, smoothing 1e-3,
     * updateEvery 1; skill-it eta 1, updateEvery 25, window 3; aioli eta 1, updateEvery 25, lpRounds 1, lpSteps 5,
     * oneHotFactor 1. doremi needs `reference`: the stage whose model its excess loss is measured against.
     */
    mixture: z
      .object({
        method: z.enum(MIXTURE_METHODS),
        weights: z.record(z.string(), z.number().min(0)).optional(),
        temperature: pos.optional(),
        eta: pos.optional(),
        updateEvery: posInt.optional(),
        /** doremi: the reference model (a stage id or `<stage>.<port>`), e.g. a pretrain on the stratified mixture. */
        reference: refSchema.optional(),
        smoothing: frac.optional(),
        window: posInt.optional(),
        lpRounds: posInt.optional(),
        lpSteps: posInt.optional(),
        oneHotFactor: z.number().gt(0).max(1).optional(),
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

/**
 * A mixture as the trainer runs it: only the method's own parameters, each with its default (ml/mixing/spec.ts's
 * MixtureJobSpec), plus doremi's `reference`, which the activity turns into the job's `paths.referenceModel`.
 */
export type ResolvedMixture =
  | { method: 'static'; weights?: Record<string, number> }
  | { method: 'temperature'; temperature: number }
  | { method: 'stratified' }
  | { method: 'doremi'; eta: number; smoothing: number; updateEvery: number; reference?: string }
  | { method: 'skill-it'; eta: number; updateEvery: number; window: number }
  | { method: 'aioli'; eta: number; updateEvery: number; lpRounds: number; lpSteps: number; oneHotFactor: number };

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
      return { method: 'doremi', eta: m.eta ?? 1, smoothing: m.smoothing ?? 1e-3, updateEvery: m.updateEvery ?? 1, ...(m.reference !== undefined ? { reference: m.reference } : {}) };
    case 'skill-it':
      return { method: 'skill-it', eta: m.eta ?? 1, updateEvery: m.updateEvery ?? 25, window: m.window ?? 3 };
    case 'aioli':
      return { method: 'aioli', eta: m.eta ?? 1, updateEvery: m.updateEvery ?? 25, lpRounds: m.lpRounds ?? 1, lpSteps: m.lpSteps ?? 5, oneHotFactor: m.oneHotFactor ?? 1 };
  }
}

/** The mixture a pretrain job runs: its resolved `with.mixture` less `reference` (a recipe reference, the job gets a path). */
export function jobMixture(m: ResolvedMixture): Exclude<ResolvedMixture, { method: 'doremi' }> | Omit<Extract<ResolvedMixture, { method: 'doremi' }>, 'reference'> {
  if (m.method !== 'doremi' || m.reference === undefined) return m;
  return { method: m.method, eta: m.eta, smoothing: m.smoothing, updateEvery: m.updateEvery };
}

/**
 * doremi measures its excess loss against a reference model, which only it takes; an aioli round must be longer than
 * its LearnParams (domains × lpRounds × lpSteps steps), checked here when the recipe alone says the domains.
 */
function checkPretrain(w: PretrainWith, ctx: StageContext): WithIssue[] {
  const m = w.mixture;
  if (m === undefined) return [];
  if (m.method === 'doremi' && m.reference === undefined) {
    return [{ path: 'mixture.reference', message: 'doremi scores each token against a reference model: name the stage that trains it (e.g. a pretrain on the stratified mixture)' }];
  }
  if (m.method !== 'doremi' && m.reference !== undefined) return [{ path: 'mixture.reference', message: `only doremi takes a reference model; method is '${m.method}'` }];
  if (m.method === 'aioli') {
    const a = resolveMixture(m) as Extract<ResolvedMixture, { method: 'aioli' }>;
    const domains = new Set<string>();
    for (const input of ctx.inputs) {
      const d = domainsOf(input, ctx);
      if (d === undefined) return [];
      for (const name of d) domains.add(name);
    }
    const k = domains.size;
    if (k > 1 && k * a.lpRounds * a.lpSteps >= a.updateEvery) {
      return [
        {
          path: 'mixture.updateEvery',
          message: `${a.updateEvery} must exceed domains × lpRounds × lpSteps = ${k} × ${a.lpRounds} × ${a.lpSteps} = ${k * a.lpRounds * a.lpSteps} (LearnParams), so each round also trains on the learned mixture`,
        },
      ];
    }
  }
  return [];
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
  roles: { reference: 'model' },
  refs: (w: PretrainWith) => (w.mixture?.reference !== undefined ? [{ ref: w.mixture.reference, role: 'reference', path: 'mixture.reference' }] : []),
  check: checkPretrain,
  ports: { model: 'model', heldout: 'dataset' },
  queue: 'braise-gpu',
  long: true,
  available: true,
  implVersion: '2',
  trains: true,
  headline: ['first_loss', 'final_loss', 'steps'],
} as const satisfies StageSpec<'pretrain', typeof pretrainWith, typeof pretrainSettings>;
