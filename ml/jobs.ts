import type { BackendPreference } from './backend.ts';
import type { ModelConfig } from './config.ts';

export type { ModelConfig } from './config.ts';

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
}

/** What a finished evaluate job reports. */
export interface EvaluateResult {
  backend: string;
  /** e.g. 'perplexity-by-domain/mean' (bits per byte, mean over domains), 'perplexity-by-domain/<domain>' */
  metrics: Record<string, number>;
  perDomain: Record<string, { bitsPerByte: number; bytes: number; docs: number }>;
}

/** Any job the trainer child runs. */
export type Job = PretrainJob | EvaluateJob;

/** Messages the trainer child sends its parent over IPC. */
export type ChildMessage =
  | { type: 'progress'; step: number; totalSteps: number; loss: number; lr: number; tokensPerSec: number }
  | { type: 'checkpoint'; step: number; dir: string; loss: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string }
  | { type: 'done'; result: PretrainResult | EvaluateResult }
  | { type: 'error'; message: string; permanent: boolean };
