import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../ml/checkpoint.ts';
import { runTraining, type TrainingKind, type TrainingLoopSpec } from '../../../ml/trainer/kit.ts';
import { recordingIo } from './trainer-io.ts';

/*
 * The trainer kit with a stand-in kind whose "loss step" returns a scripted loss without touching the
 * model: what the kit itself owns (step loop, schedule, checkpoints and the kind's files in them, stop,
 * resume, divergence, the final model and result) is checked apart from any real training.
 */

const root = mkdtempSync(path.join(tmpdir(), 'braise-kit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const model = { arch: 'gpt', layers: 1, dModel: 16, heads: 2, context: 8, tokenizer: 'byte' } as const;

function spec(name: string, over: Partial<TrainingLoopSpec> = {}): TrainingLoopSpec {
  return {
    model,
    paths: { shards: ['unused.jsonl'], checkpointDir: path.join(root, name, 'ck'), outputDir: path.join(root, name, 'model') },
    steps: 6,
    checkpointEvery: 4,
    seed: 7,
    backend: 'wasm',
    weightDecay: 0.1,
    gradClip: 1,
    lrAt: (step) => step / 100,
    ...over,
  };
}

/** A kind whose update `s + 1` has loss `10 - s` (or `losses(s)`), trains 5 tokens, and writes `seen.json` = the steps it trained since the last checkpoint. */
function kind(calls: Array<{ step: number; lr: number }>, losses: (s: number) => number = (s) => 10 - s): TrainingKind<{ custom: string }> {
  return {
    prepare: () => {
      let since: number[] = [];
      return Promise.resolve({
        trainStep: (_model, _opt, step, hyper) => {
          calls.push({ step, lr: hyper.lr });
          since.push(step + 1);
          return Promise.resolve({ loss: losses(step), tokens: 5 });
        },
        checkpointFiles: (fromStep, toStep) => {
          const files = { 'seen.json': { fromStep, toStep, steps: since } };
          since = [];
          return files;
        },
        result: () => ({ custom: 'yes' }),
      });
    },
  };
}

const io = recordingIo;

describe('trainer kit', () => {
  it('runs the schedule, checkpoints every checkpointEvery steps and at the end with the kind files, and writes the model', async () => {
    const calls: Array<{ step: number; lr: number }> = [];
    const { io: out, messages } = io();
    const result = await runTraining(spec('full'), out, kind(calls));
    expect(calls).toEqual([0, 1, 2, 3, 4, 5].map((s) => ({ step: s, lr: (s + 1) / 100 })));
    // The `native` test project forces the backend with BRAISE_TF_BACKEND.
    expect(result).toMatchObject({ steps: 6, tokensSeen: 30, resumedFromStep: null, backend: process.env.BRAISE_TF_BACKEND || 'wasm', custom: 'yes' });
    expect(result!.lossCurve).toEqual([[1, 10], [2, 9], [3, 8], [4, 7], [5, 6], [6, 5]]);
    expect(result!.finalLoss).toBeCloseTo(7.5, 12);
    expect(messages.filter((m) => m.type === 'checkpoint').map((m) => (m as { step: number }).step)).toEqual([4, 6]);
    expect(messages.filter((m) => m.type === 'progress')).toHaveLength(6);
    const seen = JSON.parse(readFileSync(path.join(root, 'full', 'ck', 'step-00000006', 'seen.json'), 'utf8')) as unknown;
    expect(seen).toEqual({ fromStep: 4, toStep: 6, steps: [5, 6] });
    expect(existsSync(path.join(root, 'full', 'model', 'model.json'))).toBe(true);
  });

  it('a stop request checkpoints the last completed step and returns null; resuming from it continues to the end', async () => {
    const { io: stopping } = io(2);
    expect(await runTraining(spec('stop'), stopping, kind([]))).toBeNull();
    const ck = path.join(root, 'stop', 'ck', 'step-00000002');
    expect((await loadCheckpoint(ck)).state).toMatchObject({ step: 2, seed: 7 });
    expect(existsSync(path.join(root, 'stop', 'model'))).toBe(false);

    const calls: Array<{ step: number; lr: number }> = [];
    const resumed = await runTraining(spec('stop', { paths: { ...spec('stop').paths, resumeFrom: ck } }), io().io, kind(calls));
    expect(calls.map((c) => c.step)).toEqual([2, 3, 4, 5]);
    expect(resumed).toMatchObject({ steps: 6, resumedFromStep: 2, tokensSeen: 30 });
    expect(resumed!.lossCurve).toHaveLength(6);
  });

  it('refuses a checkpoint of another seed, and a loss that is not finite, permanently', async () => {
    const ck = path.join(root, 'stop', 'ck', 'step-00000002');
    const otherSeed = runTraining(spec('seed', { seed: 8, paths: { ...spec('seed').paths, resumeFrom: ck } }), io().io, kind([]));
    await expect(otherSeed).rejects.toMatchObject({ name: 'JobInputError', message: expect.stringContaining('checkpoint seed 7 differs from job.seed 8') });
    const diverged = runTraining(spec('nan'), io().io, kind([], (s) => (s === 2 ? NaN : 1)));
    await expect(diverged).rejects.toMatchObject({ name: 'JobInputError', message: expect.stringContaining('loss is NaN at step 3') });
  });
});
