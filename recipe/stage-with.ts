/**
 * The typed `with` block of each of the ten stage kinds.
 *
 * Every field has its default here, so a compiled plan carries fully resolved
 * settings and the cache key of a stage changes exactly when its behaviour can.
 */
import { z } from 'zod';
import { ruleOptionSchemas } from './stages/filter-rules.ts';

export const STAGE_KINDS = [
  'filter',
  'rewrite',
  'mix',
  'pretrain',
  'upsample',
  'sft',
  'dpo',
  'rlvr',
  'merge',
  'evaluate',
] as const;

const pos = z.number().positive();
const posInt = z.number().int().positive();
const frac = z.number().min(0).max(1);
const lr = z.number().positive().max(1);

type RuleName = keyof typeof ruleOptionSchemas;
const RULE_NAMES = Object.keys(ruleOptionSchemas) as [RuleName & string, ...Array<RuleName & string>];

/** A filter rule: `gopher-quality`, or `{ gopher-quality: { minDocWords: 20 } }` to override its thresholds. */
const ruleEntry = z.union([
  z.enum(RULE_NAMES),
  z
    .object(Object.fromEntries(RULE_NAMES.map((n) => [n, ruleOptionSchemas[n].optional()])) as unknown as Record<RuleName, z.ZodOptional<z.ZodType>>)
    .strict()
    .refine((o) => Object.keys(o).length === 1, 'expected exactly one rule name as the key'),
]);

/** A reference to a recipe dataset or stage output (`name` or `stage.port`). */
export const refSchema = z.string().regex(/^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)?$/, 'expected "<dataset-or-stage>" or "<stage>.<port>"');

/** The learned quality classifier, trained inside the stage on examples the recipe marks high and low quality. */
export const classifierSchema = z
  .object({
    high: z.array(refSchema).min(1),
    low: z.array(refSchema).min(1),
    threshold: frac.optional(),
    keepTopFraction: z.number().gt(0).max(1).optional(),
    epochs: posInt.max(100).default(5),
    seed: z.number().int().default(1),
  })
  .strict()
  .refine((c) => c.threshold === undefined || c.keepTopFraction === undefined, 'give threshold or keepTopFraction, not both');

export const filterWith = z
  .object({
    rules: z.array(ruleEntry).default(['gopher-quality', 'gopher-repetition']),
    license: z.object({ allow: z.array(z.string().min(1)).min(1).optional() }).strict().optional(),
    decontaminate: z.object({ against: z.array(refSchema).min(1), ngram: posInt.max(50).default(13) }).strict().optional(),
    classifier: classifierSchema.optional(),
    dedup: z
      .object({
        exact: z.boolean().default(true),
        minhash: z
          .object({
            ngram: posInt.default(5),
            buckets: posInt.default(14),
            hashesPerBucket: posInt.default(8),
            seed: z.number().int().default(1),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ exact: true }),
  })
  .strict();

const sequenceLength = z
  .object({
    curriculum: z.literal('decomposition'),
    buckets: z.array(posInt).min(1).default([16, 32, 64]),
  })
  .strict();

export const pretrainWith = z
  .object({
    steps: posInt.max(1_000_000).default(300),
    batchSize: posInt.max(4096).default(16),
    lr: lr.default(3e-3),
    warmupSteps: z.number().int().min(0).optional(),
    minLrRatio: frac.default(0.1),
    weightDecay: z.number().min(0).default(0.1),
    gradClip: pos.default(1),
    checkpointEvery: posInt.default(50),
    holdout: z.number().min(0).max(0.5).default(0.1),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    sequenceLength: sequenceLength.optional(),
    /** Online domain reweighting during training (or static weights); overrides a mixture spec carried by the input dataset. */
    mixture: z
      .object({
        method: z.enum(['static', 'temperature', 'stratified', 'aioli', 'doremi', 'skill-it']),
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

/** Evaluation tasks the recipe format declares. */
export const EVALUATE_TASKS = ['perplexity-by-domain', 'exact-match', 'multiple-choice'] as const;
export type EvaluateTask = (typeof EVALUATE_TASKS)[number];
/** The ones this version of Braise can run; the compiler refuses the others (recipe/availability.ts). */
export const AVAILABLE_EVALUATE_TASKS: readonly EvaluateTask[] = ['perplexity-by-domain'];

export const evaluateWith = z
  .object({
    tasks: z.array(z.enum(EVALUATE_TASKS)).min(1).default(['perplexity-by-domain']),
    maxDocsPerDomain: posInt.optional(),
  })
  .strict();

export const rewriteWith = z
  .object({
    engine: z.enum(['rules', 'model', 'openai']).default('rules'),
    keepTopFraction: frac.optional(),
    threshold: frac.optional(),
    /** The model stage (`stage` or `stage.model`) the `model` engine generates with. */
    model: refSchema.optional(),
    classifier: classifierSchema.optional(),
    /** Tokens to generate per document; default 256 for the model engine, 2048 for openai (chat models think first). */
    maxNewTokens: posInt.max(32_768).optional(),
    temperature: z.number().min(0).max(5).default(0.7),
    topK: z.number().int().min(0).default(40),
    timeoutMs: posInt.default(120_000),
    baseUrl: z.string().url().optional(),
    modelName: z.string().optional(),
    concurrency: posInt.max(64).default(4),
    maxRetries: z.number().int().min(0).max(10).default(3),
  })
  .strict()
  .refine((w) => w.engine !== 'openai' || (w.baseUrl !== undefined && w.modelName !== undefined), {
    message: 'engine "openai" needs baseUrl and modelName',
    path: ['baseUrl'],
  });

export const mixWith = z
  .object({
    method: z.enum(['static', 'temperature', 'stratified', 'aioli', 'doremi', 'skill-it', 'regmix']).default('static'),
    weights: z.record(z.string(), z.number().min(0)).optional(),
    temperature: pos.default(2),
    updateEvery: posInt.default(25),
    eta: pos.default(1),
    tokens: posInt.optional(),
  })
  .strict();

export const upsampleWith = z
  .object({
    fraction: z.number().gt(0).max(1).default(0.1),
    steps: posInt.optional(),
    lr: lr.optional(),
    weights: z.record(z.string(), z.number().min(0)).optional(),
  })
  .strict();

export const sftWith = z
  .object({ steps: posInt.default(100), batchSize: posInt.default(8), lr: lr.default(1e-3), maskPrompt: z.boolean().default(true) })
  .strict();

export const dpoWith = z
  .object({ steps: posInt.default(100), batchSize: posInt.default(8), lr: lr.default(5e-4), beta: pos.default(0.1) })
  .strict();

export const rlvrWith = z
  .object({
    steps: posInt.default(50),
    groupSize: z.number().int().min(2).default(4),
    lr: lr.default(5e-4),
    beta: z.number().min(0).default(0.05),
    task: z.string().default('arithmetic'),
  })
  .strict();

export const mergeWith = z
  .object({
    method: z.enum(['linear', 'slerp', 'task-arithmetic', 'ties', 'dare']).default('linear'),
    weights: z.array(z.number()).optional(),
    t: frac.default(0.5),
    density: z.number().gt(0).max(1).default(0.5),
    base: z.string().optional(),
  })
  .strict();

export const stageWithSchemas = {
  filter: filterWith,
  rewrite: rewriteWith,
  mix: mixWith,
  pretrain: pretrainWith,
  upsample: upsampleWith,
  sft: sftWith,
  dpo: dpoWith,
  rlvr: rlvrWith,
  merge: mergeWith,
  evaluate: evaluateWith,
} as const satisfies Record<(typeof STAGE_KINDS)[number], z.ZodType>;

export type FilterWith = z.output<typeof filterWith>;
export type RewriteWith = z.output<typeof rewriteWith>;
export type MixWith = z.output<typeof mixWith>;
export type PretrainWith = z.output<typeof pretrainWith>;
export type EvaluateWith = z.output<typeof evaluateWith>;
