/**
 * The dpo trainer (ml/trainer/dpo.ts) on a tiny GPT and the built-in preference rows, in-process: the reference job
 * scores every pair once, and the dpo job, started from the same model, has loss log 2 and margin 0 at its first
 * step (policy = reference), then its reward margin grows step by step; a stopped run resumes from its checkpoint
 * with the reference file as it was (the job only reads it) and reports every step's metrics; a reference file made
 * for other rows is refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTasks } from '../../../datasets/posttrain/tasks.ts';
import { selectBackend } from '../../../ml/backend.ts';
import { latestCheckpoint, saveModel } from '../../../ml/checkpoint.ts';
import { createModel, readWeights, type ModelConfig } from '../../../ml/gpt.ts';
import type { ChildMessage, DpoJob } from '../../../ml/jobs.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';
import { DPO_CURVES, runDpo, runDpoReference } from '../../../ml/trainer/dpo.ts';
import { dpoWith } from '../../../recipe/stages/dpo.ts';
import { recordingIo } from './trainer-io.ts';

const root = mkdtempSync(path.join(tmpdir(), 'braise-dpo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = { arch: 'gpt', layers: 1, dModel: 16, heads: 2, context: 48, tokenizer: 'byte' } as const satisfies ModelConfig;
const backend = (process.env.BRAISE_TF_BACKEND as 'tensorflow' | undefined) ?? 'wasm';
const modelDir = path.join(root, 'base');
const shard = path.join(root, 'pairs.jsonl');
const referenceFile = path.join(root, 'reference.json');

const io = recordingIo;

function job(name: string, over: Partial<DpoJob['settings']> = {}, resumeFrom?: string): DpoJob {
  return {
    type: 'dpo',
    settings: { ...dpoWith.parse({}), steps: 6, batchSize: 6, lr: 3e-3, checkpointEvery: 3, seed: 5, backend, ...over },
    model: config,
    paths: {
      shards: [shard],
      checkpointDir: path.join(root, name, 'ck'),
      outputDir: path.join(root, name, 'model'),
      initFrom: modelDir,
      reference: referenceFile,
      ...(resumeFrom !== undefined ? { resumeFrom } : {}),
    },
  };
}

const margins = (messages: ChildMessage[]): number[] => messages.flatMap((m) => (m.type === 'metrics' ? [m.values[DPO_CURVES.rewardMargin]!] : []));

beforeAll(async () => {
  await selectBackend(backend);
  const model = createModel(config, 3);
  await saveModel(modelDir, { config, tokenizer: byteTokenizer(), weights: await readWeights(model), state: { step: 0, lossCurve: [], tokensSeen: 0, backend, seed: 3 }, finalLoss: Number.NaN });
  model.dispose();
  // One batch holds every pair, so each step sees the same pairs and the margin's trend is the optimizer's alone.
  const docs = generateTasks({ tasks: ['addition'], shape: 'preference', limit: 6, seed: 2 });
  writeFileSync(shard, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  const r = await runDpoReference({ type: 'dpo-reference', modelDir, shards: [shard], outputFile: referenceFile, backend }, io().io);
  expect(r).toMatchObject({ pairs: 6 });
});

describe('dpo trainer', () => {
  it('starts at loss log 2 with margin 0 (policy = reference), and the margin then grows every step', async () => {
    const { io: out, messages } = io();
    const result = (await runDpo(job('grow'), out))!;
    expect(result.lossCurve[0]![1]).toBeCloseTo(Math.log(2), 5);
    expect(Math.abs(result.first.rewardMargin)).toBeLessThan(1e-4);
    const m = margins(messages);
    expect(m).toHaveLength(6);
    for (let i = 1; i < m.length; i++) expect(m[i]!).toBeGreaterThan(m[i - 1]!);
    expect(result.lossCurve.at(-1)![1]).toBeLessThan(Math.log(2));
    expect(result.pairs).toBe(6);
    expect(result.accuracy).toBeGreaterThan(0.5);
  });

  it('summed log-probs (lossType dpo, the paper\'s β 0.1) also start at log 2', async () => {
    const result = (await runDpo(job('sum', { lossType: 'dpo', beta: 0.1, steps: 2 }), io().io))!;
    expect(result.lossCurve[0]![1]).toBeCloseTo(Math.log(2), 5);
    expect(result.lossCurve[1]![1]).toBeLessThan(Math.log(2));
  });

  it('resumes a stopped run from its checkpoint, reading the reference file unchanged, with every step in its metrics', async () => {
    const before = readFileSync(referenceFile, 'utf8');
    const full = (await runDpo(job('whole'), io().io))!;
    expect(await runDpo(job('stopped'), io(4).io)).toBeNull();
    const ck = await latestCheckpoint(path.join(root, 'stopped', 'ck'));
    expect(ck).toMatch(/step-00000004$/);
    const resumed = (await runDpo(job('stopped', {}, ck!), io().io))!;
    expect(resumed.resumedFromStep).toBe(4);
    expect(resumed.lossCurve.map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const [i, [, loss]] of resumed.lossCurve.entries()) expect(loss).toBeCloseTo(full.lossCurve[i]![1], 4);
    expect(resumed.rewardMargin).toBeCloseTo(full.rewardMargin, 4);
    expect(resumed.first.rewardMargin).toBeCloseTo(full.first.rewardMargin, 6);
    expect(readFileSync(referenceFile, 'utf8')).toBe(before);
  });

  it('refuses a reference file made for other rows, and dpo without one', async () => {
    const other = path.join(root, 'other.jsonl');
    writeFileSync(other, generateTasks({ tasks: ['subtraction'], shape: 'preference', limit: 6, seed: 2 }).map((d) => JSON.stringify(d)).join('\n') + '\n');
    const j = job('other');
    await expect(runDpo({ ...j, paths: { ...j.paths, shards: [other] } }, io().io)).rejects.toThrow(/holds the log-probs of other rows/);
    const noRef = { ...j.paths, reference: undefined };
    expect(() => runDpo({ ...j, paths: noRef }, io().io)).toThrow(/lossType dpo_norm needs the reference model's log-probs/);
    const simpo = (await runDpo({ ...job('simpo', { lossType: 'simpo', steps: 1 }), paths: { ...noRef, checkpointDir: path.join(root, 'simpo', 'ck'), outputDir: path.join(root, 'simpo', 'model') } }, io().io))!;
    expect(Number.isFinite(simpo.lossCurve[0]![1])).toBe(true);
  });
});
