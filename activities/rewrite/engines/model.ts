/**
 * The `model` rewrite engine: generates with a Braise model directory in a trainer child process
 * (a `generate` job, see `ml/generate.ts`), so sampling never blocks the worker's event loop.
 *
 * Each document's prompt is the instruction template around the document, fitted to the model's
 * context minus `maxNewTokens` (byte tokenizer: one token per UTF-8 byte; see {@link fitPrompt}: the
 * answer cue is kept, then the document, cut at its end, then the instruction's tail). Texts are sent
 * `batchSize` at a time, one child process per call. Sampling is deterministic: a call's seed is
 * derived from the engine's seed and the call's texts, so the same texts always give the same output.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BackendPreference } from '../../../ml/backend.ts';
import { parseModelConfig } from '../../../ml/config.ts';
import type { ChildMessage, GenerateJob, GenerateResult } from '../../../ml/jobs.ts';
import { hashSeed } from '../../../ml/random.ts';
import { runJob } from '../../../ml/runner.ts';
import { StageInputError } from '../../errors.ts';
import type { RewriteCallContext, RewriteEngine } from '../engine.ts';
import { extractRewrite, fitPrompt, promptParts, REWIRE_TEMPLATE } from '../prompt.ts';

/** Settings of {@link modelEngine}. */
export interface ModelEngineOptions {
  /** A Braise model directory (`config.json`, `tokenizer.json`, weights). */
  modelDir: string;
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature: number;
  /** 0 = no top-k cut. */
  topK: number;
  seed: number;
  /** Prompt template with one `{document}` slot; default {@link REWIRE_TEMPLATE}. */
  template?: string;
  /** Texts per child process; default 64. */
  batchSize?: number;
  backend?: BackendPreference;
  /** Extra environment for the child (e.g. `BRAISE_TF_BACKEND`). */
  env?: Record<string, string>;
  /** Every message of the child (logs, errors), e.g. for heartbeats and logging. */
  onMessage?: (m: ChildMessage) => void;
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The context length of a model directory, from its `config.json`; throws a permanent error naming the file. */
export async function modelContext(modelDir: string): Promise<number> {
  const file = path.join(modelDir, 'config.json');
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch {
    throw new StageInputError(`model engine: ${file}: not found (is '${modelDir}' a Braise model directory?)`);
  }
  try {
    return parseModelConfig(JSON.parse(raw), file).context;
  } catch (err) {
    throw new StageInputError(err instanceof Error ? err.message : String(err));
  }
}

/** Runs one `generate` job in a trainer child. */
export function generateInChild(job: GenerateJob, opts: { signal?: AbortSignal; env?: Record<string, string>; onMessage?: (m: ChildMessage) => void } = {}): Promise<GenerateResult> {
  return runJob<GenerateResult>(job, opts);
}

/** An engine that rewrites with a Braise model. Reads the model's config once, on first use. */
export function modelEngine(opts: ModelEngineOptions): RewriteEngine {
  const parts = promptParts(opts.template ?? REWIRE_TEMPLATE, 'model engine: template');
  const batchSize = opts.batchSize ?? 64;
  let context: Promise<number> | null = null;
  return {
    name: 'model',
    batchSize,
    async rewrite(texts: readonly string[], ctx: RewriteCallContext = {}) {
      if (texts.length === 0) return [];
      context ??= modelContext(opts.modelDir);
      const budget = Math.max(1, (await context) - opts.maxNewTokens);
      const job: GenerateJob = {
        type: 'generate',
        modelDir: opts.modelDir,
        prompts: texts.map((t) => fitPrompt(parts, t, budget)),
        maxNewTokens: opts.maxNewTokens,
        temperature: opts.temperature,
        topK: opts.topK,
        seed: hashSeed(opts.seed, fnv1a(texts.join('\u0000'))),
        ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
      };
      const result = await generateInChild(job, {
        ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
        ...(opts.env !== undefined ? { env: opts.env } : {}),
        onMessage: (m) => opts.onMessage?.(m),
      });
      if (result.texts.length !== texts.length) throw new Error(`model engine: generate job answered ${result.texts.length} texts for ${texts.length} prompts`);
      ctx.onProgress?.(texts.length);
      return result.texts.map(extractRewrite);
    },
  };
}
