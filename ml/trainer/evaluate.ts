/**
 * The evaluate job in the trainer child: each task spec of the job on one model (recipe/stages/evaluate.ts):
 * `perplexity` (bits per byte by domain on text documents, beside n-gram baselines) here, the row tasks
 * `generate` and `multiple_choice` in ../eval/tasks.ts. Metric names: recipe/stages/evaluate-metrics.ts.
 */
import { EVALUATE_BASELINES, evaluateMetricName, type EvaluateBaseline, type EvaluateMetric } from '../../recipe/stages/evaluate.ts';
import { selectBackend } from '../backend.ts';
import { loadModel } from '../checkpoint.ts';
import { DEFAULT_DOMAIN, readDocs, type ShardDoc } from '../data.ts';
import { windowNlls, type Window } from '../eval/score.ts';
import { ratioStderr } from '../eval/stats.ts';
import { generateTask, multipleChoiceTask, type RowTaskResult } from '../eval/tasks.ts';
import { JobInputError } from '../errors.ts';
import type { GptModel } from '../gpt.ts';
import type { EvaluateJob, EvaluateResult, TrainerIO } from '../jobs.ts';
import { NgramModel } from '../ngram.ts';
import type { Tokenizer } from '../tokenizer.ts';

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

/**
 * Bits per byte of each domain: Σ NLL / ln 2 / Σ UTF-8 bytes over its documents, for the model and,
 * with `baselines`, for each n-gram baseline on the same documents and targets; in windows of `context` tokens
 * (one length for every model of a stage), with the standard error over documents (../eval/stats.ts).
 */
export async function perplexityByDomain(
  model: GptModel,
  tokenizer: Tokenizer,
  docs: readonly ShardDoc[],
  io: TrainerIO,
  maxDocsPerDomain = Infinity,
  baselines?: NgramModel,
  context = model.config.context,
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
    /** Per document: its bytes and the index of its first window. */
    const docBytes: number[] = [];
    const firstWindow: number[] = [];
    const baselineNats: Record<EvaluateBaseline, number> = { unigram: 0, bigram: 0, trigram: 0 };
    for (const d of list) {
      const ids = tokenizer.encode(d.text);
      bytes += ids.length;
      docBytes.push(ids.length);
      firstWindow.push(windows.length);
      windows.push(...documentWindows([tokenizer.eosId, ...ids, tokenizer.eosId], context, tokenizer.eosId));
      if (baselines !== undefined) {
        const nll = baselines.documentNll(ids);
        for (const b of EVALUATE_BASELINES) baselineNats[b] += nll[b];
      }
    }
    if (bytes === 0) {
      await io.send({ type: 'log', level: 'warn', msg: `domain '${domain}': all documents are empty; skipped` });
      continue;
    }
    const nlls = await windowNlls(model, windows, 32, io);
    const docBits = firstWindow.map((from, k) => nlls.subarray(from, firstWindow[k + 1] ?? windows.length).reduce((a, x) => a + x, 0) / Math.LN2);
    const { ratio, stderr } = ratioStderr(docBits, docBytes);
    const result: EvaluateResult['perDomain'][string] = { bitsPerByte: ratio, bytes, docs: list.length };
    if (stderr !== undefined) result.bitsPerByteStderr = stderr;
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

/** The metrics of a perplexity task named `task`: bits per byte (and its standard error) by domain and their mean over domains, the baselines' beside. */
function perplexityMetrics(task: string, perDomain: EvaluateResult['perDomain']): Record<string, number> {
  const metrics: Record<string, number> = {};
  const entries = Object.entries(perDomain);
  if (entries.length === 0) return metrics;
  const name = (domain: string, o: { baseline?: EvaluateBaseline; stderr?: boolean } = {}) => evaluateMetricName({ task, domain, metric: 'bits_per_byte', ...o });
  metrics[name('mean')] = mean(entries.map(([, d]) => d.bitsPerByte));
  // The mean of independent per-domain estimates: its standard error is √(Σ seᵢ²) / D.
  if (entries.every(([, d]) => d.bitsPerByteStderr !== undefined)) metrics[name('mean', { stderr: true })] = Math.sqrt(entries.reduce((a, [, d]) => a + d.bitsPerByteStderr! ** 2, 0)) / entries.length;
  for (const [domain, d] of entries) {
    metrics[name(domain)] = d.bitsPerByte;
    if (d.bitsPerByteStderr !== undefined) metrics[name(domain, { stderr: true })] = d.bitsPerByteStderr;
  }
  if (entries.some(([, d]) => d.baselines === undefined)) return metrics;
  for (const b of EVALUATE_BASELINES) {
    metrics[name('mean', { baseline: b })] = mean(entries.map(([, d]) => d.baselines![b]));
    for (const [domain, d] of entries) metrics[name(domain, { baseline: b })] = d.baselines![b];
  }
  return metrics;
}

/** The metrics of a row task named `task`: each metric's mean and standard error. */
function rowTaskMetrics(task: string, result: RowTaskResult): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [metric, v] of Object.entries(result.metrics) as Array<[EvaluateMetric, { mean: number; stderr: number | undefined }]>) {
    metrics[evaluateMetricName({ task, metric })] = v.mean;
    if (v.stderr !== undefined) metrics[evaluateMetricName({ task, metric, stderr: true })] = v.stderr;
  }
  return metrics;
}

/** Runs an evaluation job on the model directory `job.modelDir`: its tasks in order, one model. */
export async function runEvaluate(job: EvaluateJob, io: TrainerIO): Promise<EvaluateResult> {
  const backend = await selectBackend(job.backend ?? 'auto');
  const { model, tokenizer } = await loadModel(job.modelDir);
  try {
    const context = Math.min(job.context ?? model.config.context, model.config.context);
    const metrics: Record<string, number> = {};
    let perDomain: EvaluateResult['perDomain'] = {};
    const tasks: NonNullable<EvaluateResult['tasks']> = {};
    for (const spec of job.tasks) {
      if (spec.task === 'perplexity') {
        if (job.shards.length === 0) throw new JobInputError(`evaluate task "${spec.name}": no text documents to score (job.shards is empty)`);
        const baselines = job.baselineShards === undefined ? undefined : await fitBaselines(job.baselineShards, tokenizer);
        perDomain = await perplexityByDomain(model, tokenizer, await readDocs(job.shards), io, job.maxDocsPerDomain, baselines, context);
        Object.assign(metrics, perplexityMetrics(spec.name, perDomain));
        continue;
      }
      const shards = job.taskShards[spec.name];
      if (shards === undefined) throw new JobInputError(`evaluate task "${spec.name}": no rows (job.taskShards has none for it)`);
      const docs = await readDocs(shards);
      const result =
        spec.task === 'generate'
          ? await generateTask(model, tokenizer, spec, docs, job.chatTemplate, job.seed, io)
          : await multipleChoiceTask(model, tokenizer, spec, docs, job.chatTemplate, context, io);
      Object.assign(metrics, rowTaskMetrics(spec.name, result));
      tasks[spec.name] = { rows: result.rows, samples: result.samples };
      const summary = Object.entries(result.metrics)
        .map(([m, v]) => `${m} ${v.mean.toFixed(4)}${v.stderr === undefined ? '' : ` ± ${v.stderr.toFixed(4)}`}`)
        .join(', ');
      await io.send({ type: 'log', level: 'info', msg: `task '${spec.name}' (${spec.task}): ${summary} over ${result.rows} rows` });
    }
    return { backend, metrics, perDomain, tasks };
  } finally {
    model.dispose();
  }
}
