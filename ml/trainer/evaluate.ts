import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend.ts';
import { loadModel } from '../checkpoint.ts';
import { DEFAULT_DOMAIN, readDocs, type ShardDoc } from '../data.ts';
import type { GptModel } from '../gpt.ts';
import type { EvaluateJob, EvaluateResult, TrainerIO } from '../jobs.ts';
import { sequenceNll } from '../loss.ts';
import type { Tokenizer } from '../tokenizer.ts';

/** One scoring window: `context` inputs, their targets, and which targets count (1) or are context/padding (0). */
interface Window {
  inputs: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
}

/**
 * Windows that score every prediction of one document exactly once.
 *
 * The document is scored as `EOS bytes… EOS`: the leading EOS stands for the document boundary the
 * model saw in training (documents there follow the previous one's EOS), so the first byte is
 * predicted too, and predicting the closing EOS counts. Documents longer than the context are
 * scored with sliding windows of stride context/2: each window after the first scores only targets
 * not yet scored, so every byte past the first window has at least context/2 tokens of context.
 */
export function documentWindows(seq: readonly number[], context: number, pad: number): Window[] {
  const out: Window[] = [];
  const lastTarget = seq.length - 1; // targets are seq[1..lastTarget]
  const stride = Math.max(1, Math.floor(context / 2));
  let scoredUpTo = 0; // targets ≤ scoredUpTo are done
  for (let begin = 0; scoredUpTo < lastTarget; begin += stride) {
    const inputs = new Int32Array(context).fill(pad);
    const targets = new Int32Array(context).fill(pad);
    const weights = new Float32Array(context);
    for (let t = 0; t < context; t++) {
      const j = begin + t + 1; // the target index predicted at position t
      if (j > lastTarget) break;
      inputs[t] = seq[j - 1]!;
      targets[t] = seq[j]!;
      if (j > scoredUpTo) weights[t] = 1;
    }
    scoredUpTo = Math.min(begin + context, lastTarget);
    out.push({ inputs, targets, weights });
  }
  return out;
}

/** Summed NLL (nats) over the scored targets of `windows`, batched `rows` at a time. */
async function totalNll(model: GptModel, windows: Window[], rows: number, io: TrainerIO): Promise<number> {
  const T = model.config.context;
  let total = 0;
  for (let i = 0; i < windows.length; i += rows) {
    if (io.stopRequested()) throw new Error('evaluation stopped');
    const chunk = windows.slice(i, i + rows);
    const R = chunk.length;
    const inputs = new Int32Array(R * T);
    const targets = new Int32Array(R * T);
    const weights = new Float32Array(R * T);
    chunk.forEach((w, r) => {
      inputs.set(w.inputs, r * T);
      targets.set(w.targets, r * T);
      weights.set(w.weights, r * T);
    });
    const nll = tf.tidy(() => {
      const res = sequenceNll(
        model,
        tf.tensor2d(inputs, [R, T], 'int32'),
        tf.tensor2d(targets, [R, T], 'int32'),
        tf.tensor2d(weights, [R, T]),
      );
      return tf.sum(res.nll);
    });
    total += (await nll.data())[0]!;
    nll.dispose();
    // Let SIGTERM / disconnect handlers run between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return total;
}

/** Bits per byte of each domain: Σ NLL / ln 2 / Σ UTF-8 bytes over its documents. */
export async function perplexityByDomain(
  model: GptModel,
  tokenizer: Tokenizer,
  docs: readonly ShardDoc[],
  io: TrainerIO,
  maxDocsPerDomain = Infinity,
): Promise<EvaluateResult['perDomain']> {
  const byDomain = new Map<string, ShardDoc[]>();
  for (const d of docs) {
    const key = d.domain ?? DEFAULT_DOMAIN;
    const list = byDomain.get(key) ?? [];
    if (list.length < maxDocsPerDomain) list.push(d);
    byDomain.set(key, list);
  }
  const perDomain: EvaluateResult['perDomain'] = {};
  for (const [domain, list] of [...byDomain].sort(([a], [b]) => a.localeCompare(b))) {
    let bytes = 0;
    const windows: Window[] = [];
    for (const d of list) {
      const ids = tokenizer.encode(d.text);
      bytes += ids.length;
      windows.push(...documentWindows([tokenizer.eosId, ...ids, tokenizer.eosId], model.config.context, tokenizer.eosId));
    }
    if (bytes === 0) {
      await io.send({ type: 'log', level: 'warn', msg: `domain '${domain}': all documents are empty; skipped` });
      continue;
    }
    const nats = await totalNll(model, windows, 32, io);
    perDomain[domain] = { bitsPerByte: nats / Math.LN2 / bytes, bytes, docs: list.length };
    await io.send({ type: 'log', level: 'info', msg: `domain '${domain}': ${perDomain[domain].bitsPerByte.toFixed(4)} bits/byte over ${list.length} docs` });
  }
  return perDomain;
}

/** Runs an evaluation job on the model directory `job.modelDir`. */
export async function runEvaluate(job: EvaluateJob, io: TrainerIO): Promise<EvaluateResult> {
  const backend = await selectBackend(job.backend ?? 'auto');
  const { model, tokenizer } = await loadModel(job.modelDir);
  try {
    const docs = await readDocs(job.shards);
    const metrics: Record<string, number> = {};
    let perDomain: EvaluateResult['perDomain'] = {};
    for (const task of new Set(job.tasks)) {
      // The only task today; the switch keeps adding tasks a local change.
      switch (task) {
        case 'perplexity-by-domain': {
          perDomain = await perplexityByDomain(model, tokenizer, docs, io, job.maxDocsPerDomain);
          const values = Object.values(perDomain).map((d) => d.bitsPerByte);
          if (values.length > 0) metrics[`${task}/mean`] = values.reduce((a, b) => a + b, 0) / values.length;
          for (const [domain, d] of Object.entries(perDomain)) metrics[`${task}/${domain}`] = d.bitsPerByte;
          break;
        }
      }
    }
    return { backend, metrics, perDomain };
  } finally {
    model.dispose();
  }
}
