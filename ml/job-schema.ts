import { z } from 'zod';
import { formatIssues, modelConfigSchema } from './config.ts';
import { sequenceLengthSchema } from './decomposition.ts';
import { JobInputError } from './errors.ts';
import type { EvaluateJob, GenerateJob, Job, PretrainJob } from './jobs.ts';
import { mixtureJobSchema } from './mixing/spec.ts';

const backend = z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).optional();
const count = z.number().int().positive();
const path = z.string().min(1);

/** Validates a {@link PretrainJob}; unknown keys are errors. */
export const pretrainJobSchema = z.strictObject({
  type: z.literal('pretrain'),
  shards: z.array(path).min(1),
  model: modelConfigSchema,
  steps: count,
  batchSize: count,
  lr: z.number().positive(),
  warmupSteps: z.number().int().nonnegative(),
  minLrRatio: z.number().min(0).max(1),
  weightDecay: z.number().nonnegative(),
  gradClip: z.number().nonnegative(),
  checkpointEvery: count,
  checkpointDir: path,
  outputDir: path,
  seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  resumeFrom: path.optional(),
  initFrom: path.optional(),
  backend,
  mixture: mixtureJobSchema.optional(),
  sequenceLength: sequenceLengthSchema.optional(),
}) satisfies z.ZodType<PretrainJob>;

/** Validates an {@link EvaluateJob}; unknown keys are errors. */
export const evaluateJobSchema = z.strictObject({
  type: z.literal('evaluate'),
  modelDir: path,
  shards: z.array(path).min(1),
  tasks: z.array(z.literal('perplexity-by-domain')).min(1),
  maxDocsPerDomain: count.optional(),
  backend,
}) satisfies z.ZodType<EvaluateJob>;

/** Validates a {@link GenerateJob}; unknown keys are errors. */
export const generateJobSchema = z.strictObject({
  type: z.literal('generate'),
  modelDir: path,
  prompts: z.array(z.string()),
  maxNewTokens: count.max(1_000_000),
  temperature: z.number().nonnegative(),
  topK: z.number().int().nonnegative(),
  seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  backend,
}) satisfies z.ZodType<GenerateJob>;

const jobSchema = z.discriminatedUnion('type', [pretrainJobSchema, evaluateJobSchema, generateJobSchema]);

/**
 * Parses a job received from outside (IPC, an activity's input). Throws a {@link JobInputError}
 * listing every problem as `job: <path>: <message>`.
 */
export function parseJob(input: unknown): Job {
  const parsed = jobSchema.safeParse(input);
  if (!parsed.success) throw new JobInputError(formatIssues('job', parsed.error));
  return parsed.data;
}
