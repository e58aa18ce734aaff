import type { BackendPreference } from './backend.ts';
import type { ModelConfig } from './config.ts';
import type { SequenceLengthSpec } from './decomposition.ts';
import type { MixtureJobSpec } from './mixing/spec.ts';

export type { ModelConfig } from './config.ts';
export type { SequenceLengthSpec } from './decomposition.ts';
export type { MixtureJobSpec, MixtureSpec } from './mixing/spec.ts';

/** Train a GPT from scratch (or from `initFrom`) on JSONL shards; run by the trainer child process. */
export interface PretrainJob {
  type: 'pretrain';
  /** JSONL(.gz) files, one `{"id","text","domain"?}` object per line. */
  shards: string[];
  model: ModelConfig;
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  minLrRatio: number;
  weightDecay: number;
  gradClip: number;
  checkpointEvery: number;
  /** root; checkpoints go in <root>/step-00000050 */
  checkpointDir: string;
  /** where the final model directory is written (must not exist yet or be empty) */
  outputDir: string;
  seed: number;
  /** a checkpoint dir */
  resumeFrom?: string;
  /** a model dir to continue from */
  initFrom?: string;
  backend?: BackendPreference;
  /**
   * Sample rows by domain (`domain` of each document; `default` when absent) with a mixture policy,
   * online ones updated every `updateEvery` steps; see `ml/mixing/`. Cannot be combined with
   * `sequenceLength` yet.
   */
  mixture?: MixtureJobSpec;
  /** Dataset decomposition: one-document sequences of the `buckets` lengths with a short-to-long curriculum; see `ml/decomposition.ts`. */
  sequenceLength?: SequenceLengthSpec;
}

/** Score a model directory on evaluation shards. */
export interface EvaluateJob {
  type: 'evaluate';
  modelDir: string;
  shards: string[];
  tasks: Array<'perplexity-by-domain'>;
  /** Caps the documents scored per domain (first ones in shard order); default: all. */
  maxDocsPerDomain?: number;
  backend?: BackendPreference;
}

/**
 * Sample continuations of `prompts` from a model directory (see `ml/generate.ts`). Deterministic
 * given `seed` (and the backend): prompt i samples from its own stream seeded by (seed, i).
 */
export interface GenerateJob {
  type: 'generate';
  modelDir: string;
  prompts: string[];
  /** Stop after this many sampled tokens (or at EOS). */
  maxNewTokens: number;
  /** Softmax temperature; 0 samples greedily (argmax). */
  temperature: number;
  /** Sample among the k most likely tokens only; 0 = no cut. */
  topK: number;
  seed: number;
  backend?: BackendPreference;
}

/** What a finished generate job reports: one text per prompt, in order (EOS not included). */
export interface GenerateResult {
  texts: string[];
  backend: string;
}

/** What a finished pretrain job reports. */
export interface PretrainResult {
  steps: number;
  /** Mean training loss (nats/token) over the last min(10, steps) steps; one batch's loss is noisy. */
  finalLoss: number;
  /** `[step, loss]` for every step from 1, including steps replayed from a resumed checkpoint's state. */
  lossCurve: Array<[number, number]>;
  backend: string;
  /** Target tokens trained on over the whole run (steps × batchSize × context). */
  tokensSeen: number;
  /** The step the run resumed from, or null when it started fresh. */
  resumedFromStep: number | null;
  /** Wall time of this process's part of the run. */
  wallMs: number;
  /** With a mixture: the policy's final weights per domain. */
  mixtureWeights?: Record<string, number>;
  /** With a mixture: per-domain mean training loss (nats/token) over the last min(10, steps) steps. */
  domainLoss?: Record<string, number>;
  /** With dataset decomposition: forward attention FLOPs per token, averaged over the run's sequence lengths. */
  attentionFlopsPerToken?: number;
  /** With dataset decomposition: the same for concat-and-chunk at `model.context` (what the run saved against). */
  concatChunkAttentionFlopsPerToken?: number;
}

/** What a finished evaluate job reports. */
export interface EvaluateResult {
  backend: string;
  /** e.g. 'perplexity-by-domain/mean' (bits per byte, mean over domains), 'perplexity-by-domain/<domain>' */
  metrics: Record<string, number>;
  perDomain: Record<string, { bitsPerByte: number; bytes: number; docs: number }>;
}

/** Any job the trainer child runs. */
export type Job = PretrainJob | EvaluateJob | GenerateJob;

/** Messages the trainer child sends its parent over IPC. */
export type ChildMessage =
  | { type: 'progress'; step: number; totalSteps: number; loss: number; lr: number; tokensPerSec: number }
  | { type: 'checkpoint'; step: number; dir: string; loss: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string }
  /** A pretrain job with a mixture: the weights at the start (the step trained from) and after every policy update. */
  | { type: 'mixture'; step: number; weights: Record<string, number> }
  | { type: 'done'; result: PretrainResult | EvaluateResult | GenerateResult }
  | { type: 'error'; message: string; permanent: boolean };

/** How a job's loop talks to the outside world (the child's IPC, or a test). Here, not in a job's module, so the jobs share it without importing each other. */
export interface TrainerIO {
  send(m: ChildMessage): Promise<void>;
  /** Polled between steps: true once a graceful stop (SIGTERM) was requested. */
  stopRequested(): boolean;
}
