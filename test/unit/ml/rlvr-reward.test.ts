/**
 * The defining property of the `rlvr` stage, on the trainer's real loop (ml/trainer/rlvr.ts through the kit,
 * in this process): on the easiest addition (a + 1 for a single digit a), a tiny GPT briefly SFT-tuned until
 * it is sometimes right has a higher mean reward over its last RLVR steps than over its first. A model that
 * is never right would get reward 0 at every step (every group dropped), so the SFT comes first, stopped
 * early enough to leave room to improve. Every random draw is seeded, so the run is the same on each backend.
 * And a run stopped at a checkpoint and resumed samples, trains and reports what an uninterrupted one does.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../ml/backend.ts';
import { latestCheckpoint, readModelDir, saveModel } from '../../../ml/checkpoint.ts';
import { createModel, readWeights } from '../../../ml/gpt.ts';
import type { ChildMessage, RlvrJob, RlvrResult, TrainerIO } from '../../../ml/jobs.ts';
import { runRlvr } from '../../../ml/trainer/rlvr.ts';
import { runSft } from '../../../ml/trainer/sft.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';
import { rlvrWith } from '../../../recipe/stages/rlvr.ts';
import { sftWith } from '../../../recipe/stages/sft.ts';

const model: RlvrJob['model'] = { arch: 'gpt', layers: 1, dModel: 64, heads: 2, context: 32, tokenizer: 'byte' };
const STEPS = 40;

/** `a+1=` for every digit a, as documents of `{prompt, answer}` rows (with `response` for the SFT before). */
function additionDocs(): string {
  return Array.from({ length: 10 }, (_, a) => {
    const prompt = `${a}+1=`;
    return JSON.stringify({ id: `add/${a}`, text: prompt, meta: { prompt, answer: String(a + 1), response: String(a + 1) } });
  }).join('\n');
}

/** A trainer IO that records messages and, with `stopAfter`, asks for a graceful stop once that step is reported. */
function io(messages: ChildMessage[] = [], stopAfter = Infinity): TrainerIO {
  let stop = false;
  return {
    send: async (m) => {
      messages.push(m);
      if (m.type === 'progress' && m.step >= stopAfter) stop = true;
    },
    stopRequested: () => stop,
  };
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

let dir: string;
let shard: string;
let tuned: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'braise-rlvr-'));
  shard = join(dir, 'add.jsonl');
  await writeFile(shard, additionDocs());
  await selectBackend('auto');
  const fresh = createModel(model, 5);
  const init = join(dir, 'init');
  await saveModel(init, { config: model, tokenizer: byteTokenizer(), weights: await readWeights(fresh), state: { step: 0, lossCurve: [], tokensSeen: 0, backend: 'test', seed: 5 }, finalLoss: NaN });
  fresh.dispose();
  tuned = join(dir, 'sft');
  const settings = { ...sftWith.parse({ batchSize: 16, lr: 3e-3, checkpointEvery: 1000 }), steps: 100, seed: 5 };
  await runSft({ type: 'sft', settings, model, paths: { shards: [shard], checkpointDir: join(dir, 'sft-ck'), outputDir: tuned, initFrom: init } }, io());
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('rlvr on addition', () => {
  // About 15 s on the native backend; on WASM (no native backend set up) several times that.
  it('raises the mean reward from its first steps to its last', { timeout: 300_000 }, async () => {
    const messages: ChildMessage[] = [];
    const settings = { ...rlvrWith.parse({ steps: STEPS, promptsPerStep: 10, samplesPerPrompt: 8, lr: 1e-3, maxNewTokens: 4, checkpointEvery: 1000 }), seed: 7 };
    const job: RlvrJob = { type: 'rlvr', settings, model, paths: { shards: [shard], initFrom: tuned, outputDir: join(dir, 'rl'), checkpointDir: join(dir, 'rl-ck') } };
    const result = (await runRlvr(job, io(messages))) as RlvrResult;
    const rewards = result.series.mean_reward.map(([, r]) => r);
    expect(rewards).toHaveLength(STEPS);
    const first = mean(rewards.slice(0, 5));
    const last = mean(rewards.slice(-10));
    // Sometimes right at the start (so groups are kept and it learns), clearly more often at the end.
    expect(first).toBeGreaterThan(1);
    expect(last).toBeGreaterThan(first + 1);
    expect(mean(result.series.accuracy.slice(-10).map(([, a]) => a))).toBeGreaterThan(mean(result.series.accuracy.slice(0, 5).map(([, a]) => a)));
    // The policy moved away from its start, and each step reported its series as metrics.
    expect(result.series.kl.at(-1)![1]).toBeGreaterThan(0);
    const metricSteps = messages.filter((m) => m.type === 'metrics').map((m) => (m.type === 'metrics' ? m.step : -1));
    expect(metricSteps).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    expect(Object.keys((messages.find((m) => m.type === 'metrics') as Extract<ChildMessage, { type: 'metrics' }>).values).sort()).toEqual(
      ['train/accuracy', 'train/groups_kept', 'train/kl', 'train/mean_reward', 'train/response_length'],
    );
  });
});

describe('rlvr resumed', () => {
  const job = (name: string, resumeFrom?: string): RlvrJob => ({
    type: 'rlvr',
    settings: { ...rlvrWith.parse({ steps: 6, promptsPerStep: 5, samplesPerPrompt: 4, lr: 1e-3, maxNewTokens: 4, checkpointEvery: 3 }), seed: 9 },
    model,
    paths: { shards: [shard], initFrom: tuned, outputDir: join(dir, `${name}-out`), checkpointDir: join(dir, `${name}-ck`), ...(resumeFrom !== undefined ? { resumeFrom } : {}) },
  });

  it('from a checkpoint samples and trains what an uninterrupted run does', async () => {
    const whole = (await runRlvr(job('whole'), io()))!;
    expect(whole.tokensSeen).toBeGreaterThan(0); // it made updates (not every group dropped)
    expect(await runRlvr(job('split'), io([], 3))).toBeNull();
    const ck = await latestCheckpoint(join(dir, 'split-ck'));
    expect(ck).toMatch(/step-00000003$/);
    const resumed = (await runRlvr({ ...job('split', ck!), paths: { ...job('split', ck!).paths, outputDir: join(dir, 'resumed-out') } }, io()))!;
    expect(resumed.resumedFromStep).toBe(3);
    expect(resumed.series).toEqual(whole.series);
    expect(resumed.lossCurve).toEqual(whole.lossCurve);
    expect((await readModelDir(join(dir, 'resumed-out'))).weights).toEqual((await readModelDir(join(dir, 'whole-out'))).weights);
  });
});
