/**
 * Sampling text from a Braise GPT: temperature and top-k sampling over the byte vocabulary, batched
 * over prompts, with seeded randomness so a (model, prompts, options) triple always gives the same
 * texts on a given backend. Used in-process by tests and the loopback OpenAI-compatible server, and
 * in the trainer child by `generate` jobs ({@link runGenerate}).
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './backend.ts';
import { loadModel } from './checkpoint.ts';
import { forward, type GptModel } from './gpt.ts';
import type { GenerateJob, GenerateResult, TrainerIO } from './jobs.ts';
import { hashSeed, mulberry32, type Rng } from './random.ts';
import type { Tokenizer } from './tokenizer.ts';

/** How to sample. */
export interface SamplingOptions {
  /** Stop after this many sampled tokens (or earlier, at EOS). */
  maxNewTokens: number;
  /** Softmax temperature; 0 = greedy (argmax, lowest id on ties). */
  temperature: number;
  /** Sample among the `topK` most likely tokens only; 0 = all. */
  topK: number;
  /** Prompt i draws from its own stream seeded by `hashSeed(seed, i)`. */
  seed: number;
  /**
   * Precede each prompt with EOS (default true: the document boundary a pretrained model saw, and the BOS of
   * the SFT chat template, ml/posttrain/sft-loss.ts). false for prompts that already start with it (rlvr's
   * chatPromptIds, whose token ids it keeps for the loss).
   */
  leadingEos?: boolean;
}

/** Prompts decoded together in one forward pass. */
const BATCH_ROWS = 16;

/**
 * Draws one token id from `logits` (one row, length V). Exactly one number is taken from `rng` per
 * call (also when greedy), so a stream's position equals the number of tokens sampled from it.
 */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topK: number, rng: Rng): number {
  const n = logits.length;
  if (n === 0) throw new Error('sampleToken: empty logits');
  if (!(temperature >= 0)) throw new Error(`sampleToken: temperature must be >= 0, got ${temperature}`);
  const u = rng();
  // Descending by logit, ties by id: the order (and so the sample) never depends on sort stability.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (temperature === 0) return order[0]!;
  const k = topK > 0 ? Math.min(topK, n) : n;
  const max = logits[order[0]!]!;
  const weights = new Float64Array(k);
  let total = 0;
  for (let j = 0; j < k; j++) {
    weights[j] = Math.exp((logits[order[j]!]! - max) / temperature);
    total += weights[j]!;
  }
  let target = u * total;
  for (let j = 0; j < k; j++) {
    target -= weights[j]!;
    if (target < 0) return order[j]!;
  }
  return order[k - 1]!;
}

interface Row {
  index: number;
  /** EOS, the prompt, then the tokens sampled so far. */
  seq: number[];
  out: number[];
  rng: Rng;
}

/** Next-token logits `[rows, V]` of each row's last position, from its last `context` tokens. */
async function lastLogits(model: GptModel, rows: readonly Row[], pad: number): Promise<Float32Array> {
  const T = model.config.context;
  const V = model.config.vocabSize;
  const windows = rows.map((r) => r.seq.slice(-T));
  const L = Math.max(...windows.map((w) => w.length));
  const inputs = new Int32Array(rows.length * L).fill(pad);
  const picks = new Int32Array(rows.length);
  // Right-padded: causal attention keeps the padding from influencing earlier positions.
  windows.forEach((w, r) => {
    inputs.set(w, r * L);
    picks[r] = r * L + w.length - 1;
  });
  const logits = tf.tidy(() => {
    const all = forward(model, tf.tensor2d(inputs, [rows.length, L], 'int32'));
    return tf.gather(tf.reshape(all, [rows.length * L, V]), tf.tensor1d(picks, 'int32'));
  });
  try {
    return (await logits.data()) as Float32Array;
  } finally {
    logits.dispose();
  }
}

/**
 * Samples a continuation of every prompt (token ids, without EOS). Each prompt is preceded by EOS
 * (the document boundary the model saw in training) unless `opts.leadingEos` is false; when prompt plus continuation outgrow the
 * model's context, the model sees the last `context` tokens (the prompt's start drops out first).
 * `onStep` runs after every decoding step with the number of finished prompts; it may throw to stop.
 */
export async function generateIds(
  model: GptModel,
  prompts: readonly (readonly number[])[],
  eosId: number,
  opts: SamplingOptions,
  onStep?: (finished: number) => void | Promise<void>,
): Promise<number[][]> {
  if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 0) throw new Error(`maxNewTokens must be an integer >= 0, got ${opts.maxNewTokens}`);
  if (!Number.isInteger(opts.topK) || opts.topK < 0) throw new Error(`topK must be an integer >= 0, got ${opts.topK}`);
  const lead = opts.leadingEos === false ? [] : [eosId];
  if (lead.length === 0 && prompts.some((p) => p.length === 0)) throw new Error('generateIds: an empty prompt needs leadingEos');
  const rows: Row[] = prompts.map((p, index) => ({ index, seq: [...lead, ...p], out: [], rng: mulberry32(hashSeed(opts.seed, index)) }));
  const results: number[][] = prompts.map(() => []);
  let active = opts.maxNewTokens > 0 ? rows : [];
  let finished = prompts.length - active.length;
  while (active.length > 0) {
    const next: Row[] = [];
    for (let b = 0; b < active.length; b += BATCH_ROWS) {
      const batch = active.slice(b, b + BATCH_ROWS);
      const logits = await lastLogits(model, batch, eosId);
      const V = model.config.vocabSize;
      batch.forEach((row, r) => {
        const token = sampleToken(logits.subarray(r * V, (r + 1) * V), opts.temperature, opts.topK, row.rng);
        if (token !== eosId) {
          row.seq.push(token);
          row.out.push(token);
        }
        if (token === eosId || row.out.length >= opts.maxNewTokens) {
          results[row.index] = row.out;
          finished += 1;
        } else {
          next.push(row);
        }
      });
    }
    active = next;
    await onStep?.(finished);
    // Lets IPC, signals and (in a server) other requests through between steps.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return results;
}

/** {@link generateIds} over texts: encodes the prompts, decodes the continuations. */
export async function generateTexts(
  model: GptModel,
  tokenizer: Tokenizer,
  prompts: readonly string[],
  opts: SamplingOptions,
  onStep?: (finished: number) => void | Promise<void>,
): Promise<string[]> {
  const ids = await generateIds(model, prompts.map((p) => tokenizer.encode(p)), tokenizer.eosId, opts, onStep);
  return ids.map((out) => tokenizer.decode(out));
}

/** Seconds between the progress logs a generate job sends (each one also keeps the activity heartbeating). */
const PROGRESS_EVERY_MS = 5_000;

/** Runs a `generate` job in the trainer child: loads `job.modelDir`, samples, returns the texts. */
export async function runGenerate(job: GenerateJob, io: TrainerIO): Promise<GenerateResult> {
  const backend = await selectBackend(job.backend ?? 'auto');
  const { model, tokenizer } = await loadModel(job.modelDir);
  try {
    let lastReport = Date.now();
    const texts = await generateTexts(model, tokenizer, job.prompts, job, async (finished) => {
      if (io.stopRequested()) throw new Error('generation stopped');
      if (Date.now() - lastReport >= PROGRESS_EVERY_MS) {
        lastReport = Date.now();
        await io.send({ type: 'log', level: 'info', msg: `generate: ${finished}/${job.prompts.length} prompts finished` });
      }
    });
    return { texts, backend };
  } finally {
    model.dispose();
  }
}
