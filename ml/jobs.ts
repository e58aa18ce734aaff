/**
 * The jobs the trainer child runs, their results and the messages it sends. Each job's type is
 * inferred from its zod schema here (one definition: the child parses with it, callers build it).
 *
 * A training job is `{ type, settings, model, paths }`: `settings` is the stage's settings as its
 * spec's schema defines them (recipe/stages/<kind>.ts, every default filled at compile time), plus what
 * the activity adds (the recipe's seed, and for pretrain the mixture an input dataset carries);
 * `model` the architecture; `paths` the files it reads and writes. ml/ imports recipe/'s pure schemas
 * for this (eslint.layers.js); recipe/ never imports ml/.
 */
import { z } from 'zod';
import { dpoWith } from '../recipe/stages/dpo.ts';
import { evaluateTaskSpec, type EvaluateBaseline } from '../recipe/stages/evaluate.ts';
import { pretrainWith } from '../recipe/stages/pretrain.ts';
import { rlvrWith } from '../recipe/stages/rlvr.ts';
import { sftWith } from '../recipe/stages/sft.ts';
import { upsampleWith } from '../recipe/stages/upsample.ts';
import { formatIssues, modelConfigSchema } from './config.ts';
import { sequenceLengthSchema } from './decomposition.ts';
import { JobInputError } from './errors.ts';
import { mixtureJobSchema } from './mixing/spec.ts';

export type { ModelConfig } from './config.ts';
export type { SequenceLengthSpec } from './decomposition.ts';
export type { MixtureJobSpec, MixtureSpec } from './mixing/spec.ts';

const backend = z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).optional();
const count = z.number().int().positive();
const path = z.string().min(1);
const seed = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Where a training job reads and writes. */
export const trainerPathsSchema = z.strictObject({
  /** JSONL(.gz) files, one `{"id","text","domain"?}` object per line. */
  shards: z.array(path).min(1),
  /** root; checkpoints go in <root>/step-00000050 */
  checkpointDir: path,
  /** where the final model directory is written (must not exist yet or be empty) */
  outputDir: path,
  /** a checkpoint dir to resume from */
  resumeFrom: path.optional(),
  /** a model dir to start from instead of a fresh seeded init */
  initFrom: path.optional(),
  /** pretrain with a DoReMi mixture: the frozen reference model dir whose per-token losses the excess loss is taken over */
  referenceModel: path.optional(),
});
export type TrainerPaths = z.output<typeof trainerPathsSchema>;

/** A training job of kind `type` whose settings `settings` validates: `{ type, settings, model, paths }`, unknown keys refused. */
export function trainingJobSchema<T extends string, S extends z.ZodType>(type: T, settings: S) {
  return z.strictObject({ type: z.literal(type), settings, model: modelConfigSchema, paths: trainerPathsSchema });
}

/**
 * A pretrain job's settings: the stage's `with` (recipe/stages/pretrain.ts `pretrainWith`) as the
 * compiler resolved it (`pretrainSettings`: the warmup a number, the mixture's defaults filled), with
 * the recipe's `seed`, `mixture` as the mixing policy takes it (the stage's own or the one its input
 * dataset carries, whose spec may hold more; see ml/mixing/spec.ts) and `sequenceLength` as
 * ml/decomposition.ts takes it.
 */
export const pretrainSettingsSchema = pretrainWith.safeExtend({
  seed,
  warmupSteps: z.number().int().nonnegative(),
  mixture: mixtureJobSchema.optional(),
  sequenceLength: sequenceLengthSchema.optional(),
});

/**
 * Train a GPT from scratch (or from `paths.initFrom`) on JSONL shards. With `settings.mixture`, rows
 * are sampled by domain with a mixture policy (`ml/mixing/`); with `settings.sequenceLength`, by
 * dataset decomposition (`ml/decomposition.ts`). Not both.
 */
export const pretrainJobSchema = trainingJobSchema('pretrain', pretrainSettingsSchema);
/** A pretrain job as the child runs it (every default filled); {@link PretrainJobInput} is what a caller may send. */
export type PretrainJob = z.output<typeof pretrainJobSchema>;
export type PretrainJobInput = z.input<typeof pretrainJobSchema>;

/**
 * An sft job's settings: the stage's `with` (recipe/stages/sft.ts) with the recipe's `seed` and `steps`
 * resolved by the activity (from `epochs` and the row count when the stage gives epochs).
 */
export const sftSettingsSchema = sftWith.safeExtend({ seed, steps: count.max(1_000_000) });

/**
 * Instruction-tune the model in `paths.initFrom` on `{prompt, response}` rows (documents whose `meta` holds
 * them) in `paths.shards`; see ml/trainer/sft.ts.
 */
export const sftJobSchema = trainingJobSchema('sft', sftSettingsSchema);
export type SftJob = z.output<typeof sftJobSchema>;

/** An rlvr job's settings: the stage's `with` (recipe/stages/rlvr.ts) with the recipe's `seed`. */
export const rlvrSettingsSchema = rlvrWith.safeExtend({ seed });

/**
 * GRPO on the `{prompt, answer}` rows (documents whose `meta` holds them) in `paths.shards`, starting from
 * (and regularized towards) the model in `paths.initFrom`; see ml/trainer/rlvr.ts.
 */
export const rlvrJobSchema = trainingJobSchema('rlvr', rlvrSettingsSchema);
export type RlvrJob = z.output<typeof rlvrJobSchema>;

/**
 * An upsample job's settings: the stage's `with` (recipe/stages/upsample.ts), the settings its pretrain ran with
 * (from the pretrain's model artifact: schedule, batch, seed, mixture) and the step it starts from,
 * round((1 − fraction) · pretrain.steps), whose checkpoint is `paths.resumeFrom` (none when it is 0).
 */
export const upsampleSettingsSchema = upsampleWith.safeExtend({ pretrain: pretrainSettingsSchema, startStep: z.number().int().nonnegative() });

/** Continue a pretrain from its checkpoint at `settings.startStep` to its last step with reweighted domains; see ml/trainer/upsample.ts. */
export const upsampleJobSchema = trainingJobSchema('upsample', upsampleSettingsSchema);
export type UpsampleJob = z.output<typeof upsampleJobSchema>;

/**
 * A dpo job's settings: the stage's `with` (recipe/stages/dpo.ts) with the recipe's `seed` and `steps` resolved by
 * the activity (from `epochs` and the pair count when the stage gives epochs).
 */
export const dpoSettingsSchema = dpoWith.safeExtend({ seed, steps: count.max(1_000_000) });

/**
 * Preference-tune the model in `paths.initFrom` on `{prompt, chosen, rejected}` rows in `paths.shards` against the
 * frozen reference whose log-probs `paths.reference` holds (ml/posttrain/preference.ts; none for simpo); see
 * ml/trainer/dpo.ts.
 */
export const dpoJobSchema = z.strictObject({
  type: z.literal('dpo'),
  settings: dpoSettingsSchema,
  model: modelConfigSchema,
  paths: trainerPathsSchema.safeExtend({ reference: path.optional() }),
});
export type DpoJob = z.output<typeof dpoJobSchema>;

/**
 * Compute a frozen reference model's log-probs of every preference pair in `shards` (in row order) and write them
 * to `outputFile` as ml/posttrain/preference.ts's ReferenceLogprobs; see ml/trainer/dpo.ts.
 */
export const dpoReferenceJobSchema = z.strictObject({
  type: z.literal('dpo-reference'),
  modelDir: path,
  shards: z.array(path).min(1),
  outputFile: path,
  backend,
});
export type DpoReferenceJob = z.output<typeof dpoReferenceJobSchema>;

/**
 * Score a model directory with evaluate's task specs (recipe/stages/evaluate.ts; see ml/trainer/evaluate.ts);
 * unknown keys are errors.
 */
export const evaluateJobSchema = z.strictObject({
  type: z.literal('evaluate'),
  modelDir: path,
  /** The text documents a perplexity task scores. */
  shards: z.array(path).default([]),
  tasks: z.array(evaluateTaskSpec).min(1),
  /** Per generate or multiple_choice task (by name): the shards of its rows. */
  taskShards: z.record(z.string(), z.array(path).min(1)).default({}),
  /** Caps the documents scored per domain (first ones in shard order); default: all. */
  maxDocsPerDomain: count.optional(),
  /** The model's training documents: the n-gram baselines (ml/ngram.ts) are fitted on them; none without. */
  baselineShards: z.array(path).min(1).optional(),
  /** Score in windows of at most this many tokens (default the model's context): one length for every model of a stage. */
  context: count.optional(),
  /** The chat template the model artifact records (an sft model's): prompts are shown in it; plain `<prompt>\n` without. */
  chatTemplate: z.object({ user: z.string(), assistant: z.string() }).optional(),
  /** The seed of a sampling generate task that gives none. */
  seed: seed.default(0),
  backend,
});
export type EvaluateJob = z.output<typeof evaluateJobSchema>;

/**
 * Sample continuations of `prompts` from a model directory (see `ml/generate.ts`). Deterministic
 * given `seed` (and the backend): prompt i samples from its own stream seeded by (seed, i).
 */
export const generateJobSchema = z.strictObject({
  type: z.literal('generate'),
  modelDir: path,
  prompts: z.array(z.string()),
  /** Stop after this many sampled tokens (or at EOS). */
  maxNewTokens: count.max(1_000_000),
  /** Softmax temperature; 0 samples greedily (argmax). */
  temperature: z.number().nonnegative(),
  /** Sample among the k most likely tokens only; 0 = no cut. */
  topK: z.number().int().nonnegative(),
  seed,
  backend,
});
export type GenerateJob = z.output<typeof generateJobSchema>;

/** Every job the trainer child runs; ml/trainer/child.ts maps each `type` to its runner. */
export const jobSchema = z.discriminatedUnion('type', [pretrainJobSchema, upsampleJobSchema, sftJobSchema, dpoJobSchema, dpoReferenceJobSchema, rlvrJobSchema, evaluateJobSchema, generateJobSchema]);
/** Any job, as parsed (every default filled). */
export type Job = z.output<typeof jobSchema>;
/** Any job, as a caller may send it (defaults may be left out). */
export type JobInput = z.input<typeof jobSchema>;
export type JobType = Job['type'];

/**
 * Parses a job received from outside (IPC, an activity's input). Throws a {@link JobInputError}
 * listing every problem as `job: <path>: <message>`.
 */
export function parseJob(input: unknown): Job {
  const parsed = jobSchema.safeParse(input);
  if (!parsed.success) throw new JobInputError(formatIssues('job', parsed.error));
  return parsed.data;
}

/** What a finished generate job reports: one text per prompt, in order (EOS not included). */
export interface GenerateResult {
  texts: string[];
  backend: string;
}

/** What every finished training job reports (ml/trainer/kit.ts); a kind adds its own fields. */
export interface TrainResult {
  steps: number;
  /** Mean training loss (nats/token) over the last min(10, steps) steps; one batch's loss is noisy. */
  finalLoss: number;
  /** `[step, loss]` for every step from 1, including steps replayed from a resumed checkpoint's state. */
  lossCurve: Array<[number, number]>;
  backend: string;
  /** The TensorFlow C library's version on the native backend, null on WASM / plain JS. */
  tensorflowVersion: string | null;
  /** `cpu` or `gpu`. */
  device: string;
  /** Target tokens trained on over the whole run. */
  tokensSeen: number;
  /** The step the run resumed from, or null when it started fresh. */
  resumedFromStep: number | null;
  /** Wall time of this process's part of the run. */
  wallMs: number;
}

/** What a finished pretrain job reports. */
export interface PretrainResult extends TrainResult {
  /** With a mixture: the mixture the policy outputs (DoReMi: the time average of its weights; the others: their last weights). */
  mixtureWeights?: Record<string, number>;
  /** With a mixture: per-domain mean training loss (nats/token) over the last min(10, steps) steps. */
  domainLoss?: Record<string, number>;
  /** With dataset decomposition: forward attention FLOPs per token, averaged over the run's sequence lengths. */
  attentionFlopsPerToken?: number;
  /** With dataset decomposition: the same for concat-and-chunk at `model.context` (what the run saved against). */
  concatChunkAttentionFlopsPerToken?: number;
}

/** What a finished upsample job reports: its `lossCurve` holds only its own steps (after `startStep`). */
export interface UpsampleResult extends PretrainResult {
  startStep: number;
  /** The domain mixture its steps sampled from, at its first step (reweighted, normalized). */
  mixture: Record<string, number>;
}

/** What a finished sft job reports (its `tokensSeen` counts response tokens: the ones the loss counts). */
export interface SftResult extends TrainResult {
  /** The rows trained on (each epoch visits every one once). */
  rows: number;
}

/** The batch metrics of a dpo step (open-instruct's `rewards/*`), and their means over the last ≤ 10 steps in a result. */
export interface DpoStepMetrics {
  chosenReward: number;
  rejectedReward: number;
  /** Chosen minus rejected reward, β·z for dpo and dpo_norm. */
  rewardMargin: number;
  /** Fraction of pairs whose chosen reward is strictly above the rejected one. */
  accuracy: number;
}

/** What a finished dpo job reports (its `tokensSeen` counts the response tokens of both sides). */
export interface DpoResult extends TrainResult, DpoStepMetrics {
  pairs: number;
  /** The first step's batch metrics (at πθ = π_ref: margin 0, accuracy 0). */
  first: DpoStepMetrics;
}

/** What a finished dpo-reference job reports. */
export interface DpoReferenceResult {
  pairs: number;
  backend: string;
}

/** One scored row of a generate or multiple_choice task (the report keeps the first ones, like lm-eval's logged samples). */
export interface EvaluateSample {
  id: string;
  prompt: string;
  /** generate: the text generated; multiple_choice: the choice picked by acc_norm. */
  output: string;
  /** generate: what the extraction took from it (null: nothing matched). */
  extracted?: string | null;
  target: string;
  correct: boolean;
}

/** The per-step series of an rlvr job, as recorded (`train/<name>`) and kept in its checkpoints. */
export const RLVR_SERIES = ['mean_reward', 'accuracy', 'kl', 'response_length', 'groups_kept'] as const;
export type RlvrSeries = (typeof RLVR_SERIES)[number];

/** What a finished rlvr job reports (its `tokensSeen` counts the response tokens it trained on). */
export interface RlvrResult extends TrainResult {
  /** The `{prompt, answer}` rows sampled from. */
  rows: number;
  /** `[step, value]` of each series for every step from 1 (a resumed run's earlier steps from its checkpoint). */
  series: Record<RlvrSeries, Array<[number, number]>>;
  /** Steps whose groups all agreed: no update was made (they count as steps and report their metrics). */
  stepsWithoutUpdate: number;
}

/** What a finished evaluate job reports. */
export interface EvaluateResult {
  backend: string;
  /**
   * Metric names with their unit (recipe/stages/evaluate-metrics.ts): 'perplexity/mean/bits_per_byte',
   * 'perplexity/<domain>/bits_per_byte', 'baseline/trigram/perplexity/<domain>/bits_per_byte', '<task>/exact_match',
   * '<task>/acc', '<task>/acc_norm', each with its '_stderr'.
   */
  metrics: Record<string, number>;
  /** Per domain of the perplexity task; `baselines` (bits per byte of each n-gram baseline on the same documents) when the job had `baselineShards`. */
  perDomain: Record<string, { bitsPerByte: number; bitsPerByteStderr?: number; bytes: number; docs: number; baselines?: Record<EvaluateBaseline, number> }>;
  /** Per generate or multiple_choice task: the rows scored and the first samples. */
  tasks?: Record<string, { rows: number; samples: EvaluateSample[] }>;
}

/** What any finished job reports. */
export type JobResult = TrainResult | EvaluateResult | GenerateResult | DpoReferenceResult;

/** Messages the trainer child sends its parent over IPC. */
export type ChildMessage =
  | { type: 'progress'; step: number; totalSteps: number; loss: number; lr: number; tokensPerSec: number }
  | { type: 'checkpoint'; step: number; dir: string; loss: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string }
  /** A pretrain job with a mixture: the weights at the start (the step trained from) and after every policy update. */
  | { type: 'mixture'; step: number; weights: Record<string, number> }
  /** A training kind's own curves at `step` (recorded by activities/trainer-stage.ts under these names). */
  | { type: 'metrics'; step: number; values: Record<string, number> }
  | { type: 'done'; result: JobResult }
  | { type: 'error'; message: string; permanent: boolean };

/** How a job's loop talks to the outside world (the child's IPC, or a test). Here, not in a job's module, so the jobs share it without importing each other. */
export interface TrainerIO {
  send(m: ChildMessage): Promise<void>;
  /** Polled between steps: true once a graceful stop (SIGTERM) was requested. */
  stopRequested(): boolean;
}
