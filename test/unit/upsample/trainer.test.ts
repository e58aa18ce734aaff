/**
 * Upsample jobs in this process on a tiny model, after a pretrain with an online mixture (Skill-It: its policy
 * keeps updating through the upsample's steps): with every weight 1 the upsample from the checkpoint at step 10
 * replays the pretrain's steps 11…20, policy updates included, and ends at its final weights bit for bit; with
 * weight 0 on a domain no row of that domain is drawn (the checkpoint's consumed.json, the mixture messages);
 * fraction 1 from the seeded init is the whole pretrain again; stopped and resumed from its own checkpoint it ends
 * at the uninterrupted run's weights; a checkpoint before the start step and an unknown domain are refused before
 * training.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJob, type ChildMessage, type PretrainJob, type PretrainResult, type UpsampleResult } from '../../../ml/jobs.ts';
import { runPretrain } from '../../../ml/trainer/pretrain.ts';
import { runUpsample } from '../../../ml/trainer/upsample.ts';
import { pretrainJob } from '../ml/pretrain-job.ts';

const root = mkdtempSync(path.join(tmpdir(), 'braise-upsample-'));
const shardFile = path.join(root, 'train.jsonl');
const lines = [
  ...Array.from({ length: 12 }, (_, i) => ({ id: `fox-${i}`, text: 'the quick brown fox jumps over the lazy dog. '.repeat(1 + (i % 4)), domain: 'fox' })),
  ...Array.from({ length: 12 }, (_, i) => ({ id: `num-${i}`, text: `${i * 7919} ${i * 104729} ${(i * 31) % 97} `.repeat(1 + (i % 3)), domain: 'numbers' })),
];
writeFileSync(shardFile, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
const model = { arch: 'gpt', layers: 1, dModel: 16, heads: 2, context: 16, tokenizer: 'byte' } as const;

const base: PretrainJob = pretrainJob({
  shards: [shardFile],
  model,
  steps: 20,
  batchSize: 4,
  warmupSteps: 2,
  checkpointEvery: 5,
  checkpointDir: path.join(root, 'base', 'ck'),
  outputDir: path.join(root, 'base', 'model'),
  mixture: { method: 'skill-it', eta: 1, updateEvery: 4 },
});
const quiet = { send: () => Promise.resolve(), stopRequested: () => false };

function upsample(name: string, domains: Record<string, number> | undefined, resumeFrom: string | null = path.join(root, 'base', 'ck', 'step-00000010'), messages: ChildMessage[] = [], stopAfter = Infinity) {
  // resumeFrom null: fraction 1, from the pretrain's seeded init.
  const startStep = resumeFrom === null ? 0 : 10;
  const job = parseJob({
    type: 'upsample',
    settings: { fraction: resumeFrom === null ? 1 : 0.5, checkpointEvery: 5, backend: 'auto', ...(domains ? { domains } : {}), pretrain: base.settings, startStep },
    model,
    paths: { shards: [shardFile], checkpointDir: path.join(root, name, 'ck'), outputDir: path.join(root, name, 'model'), ...(resumeFrom !== null ? { resumeFrom } : {}) },
  });
  if (job.type !== 'upsample') throw new Error('not an upsample job');
  let steps = 0;
  const send = (m: ChildMessage) => {
    if (m.type === 'progress') steps++;
    messages.push(m);
    return Promise.resolve();
  };
  return runUpsample(job, { send, stopRequested: () => steps >= stopAfter });
}

let reference: PretrainResult;
beforeAll(async () => {
  reference = (await runPretrain(base, quiet))!;
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('upsample jobs', () => {
  it('with every weight 1: the pretrain\'s last steps again, its final weights bit for bit', async () => {
    const r = (await upsample('same', { fox: 1 }))! as UpsampleResult;
    expect(r.steps).toBe(20);
    expect(r.startStep).toBe(10);
    expect(r.lossCurve).toEqual(reference.lossCurve.slice(10));
    expect(r.mixtureWeights).toEqual(reference.mixtureWeights);
    expect(readFileSync(path.join(root, 'same', 'model', 'weights.bin')).equals(readFileSync(path.join(root, 'base', 'model', 'weights.bin')))).toBe(true);
  }, 60_000);

  it('fraction 1 with every weight 1 is the whole pretrain again, from its seeded init', async () => {
    const r = (await upsample('whole', undefined, null))!;
    expect(r.startStep).toBe(0);
    expect(r.lossCurve).toEqual(reference.lossCurve);
    expect(readFileSync(path.join(root, 'whole', 'model', 'weights.bin')).equals(readFileSync(path.join(root, 'base', 'model', 'weights.bin')))).toBe(true);
  }, 60_000);

  it('with weight 0 on a domain: no row of it is drawn, and the mixture says 0 at every update', async () => {
    const messages: ChildMessage[] = [];
    const r = (await upsample('nonum', { numbers: 0 }, undefined, messages))!;
    const mixtures = messages.filter((m): m is Extract<ChildMessage, { type: 'mixture' }> => m.type === 'mixture');
    expect(mixtures.map((m) => m.step)).toEqual([10, 12, 16, 20]);
    for (const m of mixtures) expect(m.weights).toEqual({ fox: 1, numbers: 0 });
    expect(r.mixture).toEqual({ fox: 1, numbers: 0 });
    for (const step of ['step-00000015', 'step-00000020']) {
      const consumed = JSON.parse(readFileSync(path.join(root, 'nonum', 'ck', step, 'consumed.json'), 'utf8')) as { docs: Array<{ id: string }> };
      expect(consumed.docs.length).toBeGreaterThan(0);
      expect(consumed.docs.filter((d) => !d.id.startsWith('fox-'))).toEqual([]);
    }
    expect(readFileSync(path.join(root, 'nonum', 'model', 'weights.bin')).equals(readFileSync(path.join(root, 'base', 'model', 'weights.bin')))).toBe(false);
  }, 60_000);

  it('stopped and resumed from its own checkpoint, it ends where an uninterrupted run does', async () => {
    const messages: ChildMessage[] = [];
    expect(await upsample('resumed', { numbers: 0 }, undefined, messages, 3)).toBeNull();
    const stopped = messages.filter((m) => m.type === 'checkpoint').map((m) => m.step);
    expect(stopped).toEqual([13]);
    const r = (await upsample('resumed', { numbers: 0 }, path.join(root, 'resumed', 'ck', 'step-00000013')))!;
    expect(r.resumedFromStep).toBe(13);
    expect(r.lossCurve.map(([s]) => s)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(readFileSync(path.join(root, 'resumed', 'model', 'weights.bin')).equals(readFileSync(path.join(root, 'nonum', 'model', 'weights.bin')))).toBe(true);
  }, 60_000);

  it('refuses a domain the data lacks before training, naming the domains there are', async () => {
    await expect(upsample('sports', { sports: 2 })).rejects.toThrow('with.domains.sports: no domain "sports" in the pretrain\'s training data (its domains: fox, numbers)');
  }, 60_000);

  it('refuses to start from a checkpoint before its start step', async () => {
    await expect(upsample('early', undefined, path.join(root, 'base', 'ck', 'step-00000005'))).rejects.toThrow('a checkpoint at step 5, before the upsample\'s start at 10');
  }, 60_000);
});
