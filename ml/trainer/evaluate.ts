import * as tf from '@tensorflow/tfjs-core';
import { EVALUATE_BASELINES, evaluateMetricName, type EvaluateBaseline } from '../../recipe/stages/evaluate.ts';
import { selectBackend } from '../backend.ts';
import { loadModel } from '../checkpoint.ts';
import { DEFAULT_DOMAIN, readDocs, type ShardDoc } from '../data.ts';
import type { GptModel } from '../gpt.ts';
import type { EvaluateJob, EvaluateResult, TrainerIO } from '../jobs.ts';
import { sequenceNll } from '../loss.ts';
import { NgramModel } from '../ngram.ts';
import type { Tokenizer } from '../tokenizer.ts';

/** One scoring window: `context` inputs, their targets, and which targets count (1) or are context/padding (0). */
interface Window {
  inputs: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
}

/**
 * Windows that score every prediction of one document exactly once, each at one forward position.
 *
 * The document is scored as `EOS bytes… EOS`: the leading EOS stands for the document boundary the
 * model saw in training (documents there follow the previous one's EOS), so the first byte is
 * predicted too, and predicting the closing EOS counts. Longer documents are cut as
 * lm-evaluation-harness's rolling log-likelihood does (`get_rolling_token_windows` with
 * `context_len=1`): disjoint windows of `context` targets, each predicting its own targets from the
 * tokens before them inside the window, so the first target of a window sees one token and the last
 * `context`; only the final, shorter remainder is scored in a full window that ends at the document's
 * end, its earlier positions serving as context (weight 0). Each byte costs one forward position
 * (before: windows slid by half a context, two positions per byte, in exchange for ≥ context/2 tokens
 * of context everywhere); the bits per byte are the exact log-likelihood under this windowing.
 */
export function documentWindows(seq: readonly number[], context: number, pad: number): Window[] {
  const out: Window[] = [];
  const lastTarget = seq.length - 1; // targets are seq[1..lastTarget]
  let scoredUpTo = 0; // targets ≤ scoredUpTo are done
  while (scoredUpTo < lastTarget) {
    const end = Math.min(scoredUpTo + context, lastTarget);
    const begin = Math.max(0, end - context); // position t predicts target begin + t + 1
    const inputs = new Int32Array(context).fill(pad);
    const targets = new Int32Array(context).fill(pad);
    const weights = new Float32Array(context);
    for (let t = 0; t < context; t++) {
      const j = begin + t + 1;
      if (j > end) break;
      inputs[t] = seq[j - 1]!;
      targets[t] = seq[j]!;
      if (j > scoredUpTo) weights[t] = 1;
    }
    scoredUpTo = end;
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

/**
 * Bits per byte of each domain: Σ NLL / ln 2 / Σ UTF-8 bytes over its documents, for the model and,
 * with `baselines`, for each n-gram baseline on the same documents and targets.
 */
export async function perplexityByDomain(
  model: GptModel,
  tokenizer: Tokenizer,
  docs: readonly ShardDoc[],
  io: TrainerIO,
  maxDocsPerDomain = Infinity,
  baselines?: NgramModel,
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
    const baselineNats: Record<EvaluateBaseline, number> = { unigram: 0, bigram: 0, trigram: 0 };
    for (const d of list) {
      const ids = tokenizer.encode(d.text);
      bytes += ids.length;
      windows.push(...documentWindows([tokenizer.eosId, ...ids, tokenizer.eosId], model.config.context, tokenizer.eosId));
      if (baselines !== undefined) {
        const nll = baselines.documentNll(ids);
        for (const b of EVALUATE_BASELINES) baselineNats[b] += nll[b];
      }
    }
    if (bytes === 0) {
      await io.send({ type: 'log', level: 'warn', msg: `domain '${domain}': all documents are empty; skipped` });
      continue;
    }
    const nats = await totalNll(model, windows, 32, io);
    const result: EvaluateResult['perDomain'][string] = { bitsPerByte: nats / Math.LN2 / bytes, bytes, docs: list.length };
    if (baselines !== undefined) {
      result.baselines = Object.fromEntries(EVALUATE_BASELINES.map((b) => [b, baselineNats[b] / Math.LN2 / bytes])) as Record<EvaluateBaseline, number>;
    }
    perDomain[domain] = result;
    const vs = result.baselines === undefined ? '' : ` (${EVALUATE_BASELINES.map((b) => `${b} ${result.baselines![b].toFixed(4)}`).join(', ')})`;
    await io.send({ type: 'log', level: 'info', msg: `domain '${domain}': ${result.bitsPerByte.toFixed(4)} bits/byte over ${list.length} docs${vs}` });
  }
  return perDomain;
}

/** The n-gram baselines of `shards` (the model's training documents), fitted with the model's tokenizer. */
export async function fitBaselines(shards: readonly string[], tokenizer: Tokenizer): Promise<NgramModel> {
  const m = new NgramModel(tokenizer.vocabSize, tokenizer.eosId);
  for (const d of await readDocs(shards)) m.add(tokenizer.encode(d.text));
  return m;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Runs an evaluation job on the model directory `job.modelDir`. */
export async function runEvaluate(job: EvaluateJob, io: TrainerIO): Promise<EvaluateResult> {
  const backend = await selectBackend(job.backend ?? 'auto');
  const { model, tokenizer } = await loadModel(job.modelDir);
  try {
    const docs = await readDocs(job.shards);
    const baselines = job.baselineShards === undefined ? undefined : await fitBaselines(job.baselineShards, tokenizer);
    const metrics: Record<string, number> = {};
    let perDomain: EvaluateResult['perDomain'] = {};
    for (const task of new Set(job.tasks)) {
      // The only task today; the switch keeps adding tasks a local change.
      switch (task) {
        case 'perplexity-by-domain': {
          perDomain = await perplexityByDomain(model, tokenizer, docs, io, job.maxDocsPerDomain, baselines);
          const entries = Object.entries(perDomain);
          if (entries.length === 0) break;
          metrics[evaluateMetricName(task, 'mean')] = mean(entries.map(([, d]) => d.bitsPerByte));
          for (const [domain, d] of entries) metrics[evaluateMetricName(task, domain)] = d.bitsPerByte;
          if (baselines === undefined) break;
          for (const b of EVALUATE_BASELINES) {
            metrics[evaluateMetricName(task, 'mean', b)] = mean(entries.map(([, d]) => d.baselines![b]));
            for (const [domain, d] of entries) metrics[evaluateMetricName(task, domain, b)] = d.baselines![b];
          }
          break;
        }
      }
    }
    return { backend, metrics, perDomain };
  } finally {
    model.dispose();
  }
}
