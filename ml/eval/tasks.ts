/**
 * evaluate's row tasks on one model: `generate` (sample a continuation of each prompt with ml/generate.ts,
 * take the answer with the task's extraction, ml/posttrain/verifier.ts's extractAnswer, and score exact
 * match) and `multiple_choice` (each choice's summed log-likelihood as the continuation of the prompt,
 * `acc` and `acc_norm`). The prompt is shown in the model's chat template when its artifact records one,
 * plainly as `<prompt>\n` otherwise (the `text` of a built-in row: prompt and answer on separate lines).
 * lm-eval's exact_match compares after its filters; here both sides are trimmed of surrounding whitespace.
 */
import { rowOfDoc, type RowShape, type RowOf } from '../../datasets/posttrain/rows.ts';
import type { EvaluateTaskSpec } from '../../recipe/stages/evaluate.ts';
import type { ShardDoc } from '../data.ts';
import { JobInputError } from '../errors.ts';
import { generateTexts } from '../generate.ts';
import type { GptModel } from '../gpt.ts';
import type { EvaluateSample, TrainerIO } from '../jobs.ts';
import { extractAnswer } from '../posttrain/verifier.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { choiceScores, meanStderr } from './stats.ts';
import { continuationWindow, windowNlls, type Window } from './score.ts';

/** How prompts are shown: the recorded chat template's tags around it, or plain. */
export type PromptTemplate = { user: string; assistant: string } | undefined;

export function formatPrompt(prompt: string, template: PromptTemplate): string {
  return template === undefined ? `${prompt}\n` : `${template.user}${prompt}${template.assistant}`;
}

/** Samples of a task the report keeps. */
const SAMPLES = 20;

/** What a row task reports: its metrics (mean and standard error, by metric name) and samples. */
export interface RowTaskResult {
  rows: number;
  metrics: Partial<Record<'exact_match' | 'acc' | 'acc_norm', { mean: number; stderr: number | undefined }>>;
  samples: EvaluateSample[];
}

/** The rows of `shape` in `docs` (the first `limit`), or a JobInputError naming the shard, its line and the field. */
export function taskRows<S extends RowShape>(shape: S, docs: readonly ShardDoc[], task: string, limit = Infinity): Array<{ id: string; row: RowOf<S> }> {
  const out: Array<{ id: string; row: RowOf<S> }> = [];
  for (const doc of docs.slice(0, limit)) {
    const row = rowOfDoc(shape, doc);
    if (typeof row === 'string') throw new JobInputError(`${doc.shard}:${doc.line}: ${row}; evaluate task "${task}" reads ${shape} rows (a dataset with shape: ${shape})`);
    out.push({ id: doc.id, row });
  }
  if (out.length === 0) throw new JobInputError(`evaluate task "${task}": its dataset has no rows`);
  return out;
}

/** A generate task: exact match of the extracted answer, greedy or seeded sampling. */
export async function generateTask(
  model: GptModel,
  tokenizer: Tokenizer,
  spec: Extract<EvaluateTaskSpec, { task: 'generate' }>,
  docs: readonly ShardDoc[],
  template: PromptTemplate,
  seed: number,
  io: TrainerIO,
): Promise<RowTaskResult> {
  const rows = taskRows('answer', docs, spec.name, spec.limit);
  const prompts = rows.map((r) => formatPrompt(r.row.prompt, template));
  const texts = await generateTexts(model, tokenizer, prompts, { maxNewTokens: spec.maxNewTokens, temperature: spec.temperature, topK: spec.topK, seed: spec.seed ?? seed }, () => {
    if (io.stopRequested()) throw new Error('evaluation stopped');
  });
  const scores: number[] = [];
  const samples: EvaluateSample[] = [];
  rows.forEach((r, i) => {
    const extracted = extractAnswer(texts[i]!, spec.extract);
    const correct = extracted !== undefined && extracted.trim() === r.row.answer.trim();
    scores.push(correct ? 1 : 0);
    if (samples.length < SAMPLES) samples.push({ id: r.id, prompt: r.row.prompt, output: texts[i]!, extracted: extracted ?? null, target: r.row.answer, correct });
  });
  return { rows: rows.length, metrics: { exact_match: meanStderr(scores) }, samples };
}

/** A multiple_choice task: `acc` and `acc_norm` over its rows, in windows of at most `context` tokens. */
export async function multipleChoiceTask(
  model: GptModel,
  tokenizer: Tokenizer,
  spec: Extract<EvaluateTaskSpec, { task: 'multiple_choice' }>,
  docs: readonly ShardDoc[],
  template: PromptTemplate,
  context: number,
  io: TrainerIO,
): Promise<RowTaskResult> {
  const rows = taskRows('multiple_choice', docs, spec.name, spec.limit);
  const windows: Window[] = [];
  for (const { row } of rows) {
    // EOS first: the document boundary the model saw in training, as perplexity and generation do.
    const ctx = [tokenizer.eosId, ...tokenizer.encode(formatPrompt(row.prompt, template))];
    for (const choice of row.choices) windows.push(continuationWindow(ctx, tokenizer.encode(choice), context));
  }
  const nlls = await windowNlls(model, windows, 32, io);
  const acc: number[] = [];
  const accNorm: number[] = [];
  const samples: EvaluateSample[] = [];
  let at = 0;
  for (const { id, row } of rows) {
    const lls = row.choices.map((_, k) => -nlls[at + k]!);
    at += row.choices.length;
    const s = choiceScores(lls, row.choices.map((c) => Buffer.byteLength(c, 'utf8')), row.answer);
    acc.push(s.acc);
    accNorm.push(s.accNorm);
    if (samples.length < SAMPLES) samples.push({ id, prompt: row.prompt, output: row.choices[s.pickNorm]!, target: row.choices[row.answer]!, correct: s.accNorm === 1 });
  }
  return { rows: rows.length, metrics: { acc: meanStderr(acc), acc_norm: meanStderr(accNorm) }, samples };
}
