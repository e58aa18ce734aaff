/**
 * evaluate's statistics and row tasks on hand-checkable cases: the standard error of a mean and of bits per
 * byte, acc and acc_norm (lm-eval's argmax, first on ties), each choice's log-likelihood as the continuation
 * of its prompt against a direct forward pass, exact match of the extracted answer, and the property that
 * evaluating the same model twice gives identical numbers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTasks } from '../../../datasets/posttrain/tasks.ts';
import { selectBackend } from '../../../ml/backend.ts';
import { saveModel } from '../../../ml/checkpoint.ts';
import type { ShardDoc } from '../../../ml/data.ts';
import { continuationWindow } from '../../../ml/eval/score.ts';
import { argmax, choiceScores, meanStderr, ratioStderr } from '../../../ml/eval/stats.ts';
import { formatPrompt, generateTask, multipleChoiceTask, taskRows } from '../../../ml/eval/tasks.ts';
import { JobInputError } from '../../../ml/errors.ts';
import { generateTexts } from '../../../ml/generate.ts';
import { createModel, forward, readWeights, type GptModel } from '../../../ml/gpt.ts';
import type { EvaluateJob, TrainerIO } from '../../../ml/jobs.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';
import { runEvaluate } from '../../../ml/trainer/evaluate.ts';
import { evaluateTaskSpec } from '../../../recipe/stages/evaluate.ts';

const tokenizer = byteTokenizer();
const io: TrainerIO = { send: async () => {}, stopRequested: () => false };
const config = { arch: 'gpt', layers: 1, dModel: 16, heads: 2, context: 16, tokenizer: 'byte' } as const;
let model: GptModel;
const root = mkdtempSync(path.join(tmpdir(), 'braise-evaluate-tasks-'));
const doc = (id: string, meta: Record<string, unknown>): ShardDoc => ({ id, text: String(meta.prompt), meta, shard: 's.jsonl', line: 1 });

beforeAll(async () => {
  await selectBackend('wasm');
  model = createModel(config, 5);
});
afterAll(() => {
  model.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('statistics', () => {
  it('the standard error of a mean is the sample standard deviation (n − 1) over √n, none for one value', () => {
    const { mean, stderr } = meanStderr([1, 0, 1, 0]);
    expect(mean).toBe(0.5);
    expect(stderr).toBeCloseTo(Math.sqrt(1 / 3) / 2, 12);
    expect(meanStderr([1, 1, 1]).stderr).toBe(0);
    expect(meanStderr([0.7]).stderr).toBeUndefined();
  });

  it('bits per byte is Σ bits / Σ bytes with the linearized standard error over documents', () => {
    // R = 6 / 2 = 3; residuals −1, +1; √(2/1 · 2) / 2 = 1.
    expect(ratioStderr([2, 4], [1, 1])).toEqual({ ratio: 3, stderr: 1 });
    // Documents exactly at the ratio: no spread.
    expect(ratioStderr([3, 9], [1, 3])).toEqual({ ratio: 3, stderr: 0 });
  });

  it('acc takes the largest summed log-likelihood, acc_norm the largest per byte; ties go to the first', () => {
    // −3 over 1 byte vs −4 over 4 bytes: acc picks choice 0, acc_norm choice 1 (−1 per byte).
    expect(choiceScores([-3, -4], [1, 4], 1)).toEqual({ acc: 0, accNorm: 1, pick: 0, pickNorm: 1 });
    expect(choiceScores([-3, -4], [1, 4], 0)).toEqual({ acc: 1, accNorm: 0, pick: 0, pickNorm: 1 });
    expect(argmax([2, 5, 5, 1])).toBe(1);
  });
});

/** −Σ log p(continuation | context) from one forward pass over exactly context + continuation. */
function directLogLikelihood(context: number[], continuation: number[]): number {
  const seq = [...context, ...continuation];
  const logits = tf.tidy(() => tf.logSoftmax(forward(model, tf.tensor2d([seq.slice(0, -1)], undefined, 'int32'))));
  const rows = logits.arraySync() as number[][][];
  logits.dispose();
  let ll = 0;
  for (let j = context.length; j < seq.length; j++) ll += rows[0]![j - 1]![seq[j]!]!;
  return ll;
}

describe('multiple_choice', () => {
  it("scores each choice's log-likelihood after the prompt, acc and acc_norm as lm-eval does", async () => {
    const rows = [
      { prompt: 'What is 2 + 2?', choices: ['4', '22', 'five'], answer: 0 },
      { prompt: 'Reverse "ab".', choices: ['ab', 'ba'], answer: 1 },
      { prompt: 'Sort: 3, 1.', choices: ['1, 3', '3, 1'], answer: 0 },
    ];
    const spec = evaluateTaskSpec.parse({ task: 'multiple_choice', name: 'mc', data: 'x' });
    if (spec.task !== 'multiple_choice') throw new Error('narrowing');
    const r = await multipleChoiceTask(model, tokenizer, spec, rows.map((row, i) => doc(`d${i}`, row)), undefined, config.context, io);
    const expected = rows.map((row) => {
      const ctx = [tokenizer.eosId, ...tokenizer.encode(formatPrompt(row.prompt, undefined))];
      const lls = row.choices.map((c) => {
        // The window keeps the last context + 1 tokens, as the task does.
        const whole = [...ctx, ...tokenizer.encode(c)].slice(-(config.context + 1));
        return directLogLikelihood(whole.slice(0, whole.length - tokenizer.encode(c).length), tokenizer.encode(c));
      });
      return choiceScores(lls, row.choices.map((c) => Buffer.byteLength(c)), row.answer);
    });
    expect(r.rows).toBe(3);
    expect(r.metrics.acc!.mean).toBeCloseTo(expected.reduce((a, s) => a + s.acc, 0) / 3, 12);
    expect(r.metrics.acc_norm!.mean).toBeCloseTo(expected.reduce((a, s) => a + s.accNorm, 0) / 3, 12);
    expect(r.samples.map((s) => s.output)).toEqual(rows.map((row, i) => row.choices[expected[i]!.pickNorm]));
  });

  it('keeps the last context + 1 tokens of a long prompt, the continuation weighted', () => {
    const w = continuationWindow([1, 2, 3, 4, 5, 6], [7, 8], 4);
    expect(Array.from(w.inputs)).toEqual([4, 5, 6, 7]);
    expect(Array.from(w.targets)).toEqual([5, 6, 7, 8]);
    expect(Array.from(w.weights)).toEqual([0, 0, 1, 1]);
  });
});

describe('generate', () => {
  it('is exact match of the extracted answer (trimmed), with its standard error', async () => {
    const prompts = ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff'];
    const spec = evaluateTaskSpec.parse({ task: 'generate', data: 'x', maxNewTokens: 6, extract: { regex: '^([\\s\\S]{3})' } });
    if (spec.task !== 'generate') throw new Error('narrowing');
    const texts = await generateTexts(model, tokenizer, prompts.map((p) => formatPrompt(p, undefined)), { maxNewTokens: 6, temperature: 0, topK: 0, seed: 0 });
    // Rows whose answer is what greedy decoding gives (its first 3 characters), then rows whose answer is not.
    const usable = prompts.map((p, i) => ({ p, text: texts[i]!, answer: texts[i]!.slice(0, 3).trim() })).filter((x) => x.answer !== '' && x.text.length >= 3);
    expect(usable.length).toBeGreaterThanOrEqual(2);
    const rows = [...usable.slice(0, 2).map((x) => ({ prompt: x.p, answer: x.answer })), ...usable.slice(0, 2).map((x) => ({ prompt: x.p, answer: `${x.answer}!` }))];
    const r = await generateTask(model, tokenizer, spec, rows.map((row, i) => doc(`g${i}`, row)), undefined, 0, io);
    expect(r.metrics.exact_match).toEqual({ mean: 0.5, stderr: expect.closeTo(Math.sqrt(1 / 3) / 2, 12) });
    expect(r.samples.map((s) => s.correct)).toEqual([true, true, false, false]);
  });

  it('refuses rows of another shape, naming the shard, its line and the missing field', () => {
    const wrong: ShardDoc = { id: 'p1', text: 'q', meta: { prompt: 'q', response: 'r' }, shard: 'pairs/shard-00000.jsonl', line: 3 };
    expect(() => taskRows('answer', [wrong], 'sums')).toThrow(
      new JobInputError('pairs/shard-00000.jsonl:3: document "p1" is not an answer row: missing "answer" (an answer row has "prompt", "answer"); evaluate task "sums" reads answer rows (a dataset with shape: answer)'),
    );
    expect(() => taskRows('answer', [], 'sums')).toThrow('evaluate task "sums": its dataset has no rows');
  });

  it('formats the prompt in the chat template the model records, plainly otherwise', () => {
    expect(formatPrompt('What is 1 + 1?', { user: '<|user|>\n', assistant: '\n<|assistant|>\n' })).toBe('<|user|>\nWhat is 1 + 1?\n<|assistant|>\n');
    expect(formatPrompt('What is 1 + 1?', undefined)).toBe('What is 1 + 1?\n');
  });
});

describe('runEvaluate', () => {
  it('gives identical numbers when the same model is evaluated twice (perplexity, sampled generate, multiple_choice)', async () => {
    const modelDir = path.join(root, 'model');
    await saveModel(modelDir, { config, tokenizer, weights: await readWeights(model), state: { step: 0, lossCurve: [], tokensSeen: 0, backend: 'wasm', seed: 5 }, finalLoss: Number.NaN });
    const write = (name: string, docs: ReturnType<typeof generateTasks>) => {
      const file = path.join(root, name);
      writeFileSync(file, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
      return [file];
    };
    const job: EvaluateJob = {
      type: 'evaluate',
      modelDir,
      // Several documents per domain (task): each domain's bits per byte has a standard error.
      shards: write('text.jsonl', generateTasks({ shape: 'sft', split: 'heldout', limit: 24 })),
      tasks: [
        evaluateTaskSpec.parse({ task: 'perplexity' }),
        evaluateTaskSpec.parse({ task: 'generate', name: 'gen', data: 'qa', temperature: 1, maxNewTokens: 4 }),
        evaluateTaskSpec.parse({ task: 'multiple_choice', name: 'mc', data: 'mc' }),
      ],
      taskShards: { gen: write('qa.jsonl', generateTasks({ shape: 'answer', split: 'heldout', limit: 6 })), mc: write('mc.jsonl', generateTasks({ shape: 'multiple_choice', split: 'heldout', limit: 6 })) },
      seed: 3,
      backend: 'wasm',
    };
    const [a, b] = [await runEvaluate(job, io), await runEvaluate(job, io)];
    expect(Object.keys(a.metrics).sort()).toEqual(
      expect.arrayContaining(['perplexity/mean/bits_per_byte', 'perplexity/mean/bits_per_byte_stderr', 'gen/exact_match', 'gen/exact_match_stderr', 'mc/acc', 'mc/acc_norm', 'mc/acc_norm_stderr']),
    );
    expect(b.metrics).toEqual(a.metrics);
    expect(b.tasks).toEqual(a.tasks);
  });
});
