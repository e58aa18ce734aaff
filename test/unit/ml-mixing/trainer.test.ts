import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJob, type ChildMessage, type PretrainJob, type PretrainResult } from '../../../ml/jobs.ts';
import { runJob } from '../../../ml/runner.ts';
import { runPretrain } from '../../../ml/trainer/pretrain.ts';
import { pretrainJob, type FlatPretrainJob } from '../ml/pretrain-job.ts';

/*
 * Real trainer child processes (tsx + TensorFlow.js, the backend `auto` picks) on a tiny model, with a mixture or with
 * dataset decomposition. Like test/unit/ml/runner.test.ts, a resumed run is compared against an
 * uninterrupted reference.
 */

const root = mkdtempSync(path.join(tmpdir(), 'braise-mixing-'));
const shardFile = path.join(root, 'train.jsonl');
// Two domains: one repeated sentence (easy) and digit strings (hard); documents of varied lengths.
const lines = [
  ...Array.from({ length: 24 }, (_, i) => ({ id: `fox-${i}`, text: 'the quick brown fox jumps over the lazy dog. '.repeat(1 + (i % 4)), domain: 'fox' })),
  ...Array.from({ length: 24 }, (_, i) => ({ id: `num-${i}`, text: `${i * 7919} ${i * 104729} ${(i * 31) % 97} `.repeat(1 + (i % 3)), domain: 'numbers' })),
];
writeFileSync(shardFile, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

const model = { arch: 'gpt', layers: 1, dModel: 32, heads: 2, context: 32, tokenizer: 'byte' } as const;
function job(name: string, over: Partial<FlatPretrainJob> = {}): PretrainJob {
  return pretrainJob({
    shards: [shardFile],
    model,
    steps: 30,
    checkpointEvery: 17,
    checkpointDir: path.join(root, name, 'ck'),
    outputDir: path.join(root, name, 'model'),
    ...over,
  });
}

function maxAbsDiff(a: Buffer, b: Buffer): number {
  const x = new Float32Array(a.buffer, a.byteOffset, a.byteLength / 4);
  const y = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  expect(x.length).toBe(y.length);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

/**
 * Runs a job in this process: bad input fails before any training, so no child is worth forking. Its backend is the
 * children's (`auto`: native where it is set up), so a resumed run here replays a child's reference exactly.
 */
const inProcess = (j: PretrainJob): Promise<PretrainResult | null> => runPretrain(j, { send: () => Promise.resolve(), stopRequested: () => false });

type MixtureMessage = Extract<ChildMessage, { type: 'mixture' }>;
const mixtureMessages = (ms: ChildMessage[]): MixtureMessage[] => ms.filter((m): m is MixtureMessage => m.type === 'mixture');

// Aioli: rounds of 10 steps whose last 4 are LearnParams (2 domains × 1 sweep × 2 steps). The checkpoint
// at step 17 falls inside round 2's LearnParams, with a probe already taken and losses pending.
const aioli = { method: 'aioli', eta: 2, updateEvery: 10, lpSteps: 2, probeWindows: 4 } as const;
let reference: PretrainResult;
let doremiResult: PretrainResult;
const referenceMessages: ChildMessage[] = [];

beforeAll(async () => {
  reference = await runJob<PretrainResult>(job('aioli-ref', { mixture: aioli }), { onMessage: (m) => referenceMessages.push(m) });
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('pretrain with a mixture', () => {
  it('reports the weights at the start and after every update, final weights and per-domain losses', () => {
    const mix = mixtureMessages(referenceMessages);
    expect(mix.map((m) => m.step)).toEqual([0, 10, 20, 30]);
    expect(mix[0]!.weights).toEqual({ fox: 0.5, numbers: 0.5 });
    for (const m of mix) expect(Object.values(m.weights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(mix[3]!.weights).not.toEqual(mix[0]!.weights);
    expect(reference.mixtureWeights).toEqual(mix[3]!.weights);
    expect(Object.keys(reference.domainLoss!).sort()).toEqual(['fox', 'numbers']);
    for (const l of Object.values(reference.domainLoss!)) expect(l).toBeGreaterThan(0);
    // Per-domain losses split the same rows as the reported loss: over the same last 10 steps, the
    // overall mean is their token-weighted average, so it lies between them.
    const perDomain = Object.values(reference.domainLoss!);
    expect(reference.finalLoss).toBeGreaterThanOrEqual(Math.min(...perDomain) - 1e-5);
    expect(reference.finalLoss).toBeLessThanOrEqual(Math.max(...perDomain) + 1e-5);
    expect(referenceMessages.filter((m) => m.type === 'progress')).toHaveLength(30);
    expect(reference.lossCurve[0]![1]).toBeGreaterThan(5);
    expect(reference.finalLoss).toBeLessThan(reference.lossCurve[0]![1] * 0.7);
    const ck = JSON.parse(readFileSync(path.join(root, 'aioli-ref', 'ck', 'step-00000017', 'mixture.json'), 'utf8')) as {
      method: string;
      domains: string[];
      policy: { probes: Array<[number, unknown]> };
    };
    expect(ck).toMatchObject({ format: 'braise.mixture/v1', method: 'aioli', domains: ['fox', 'numbers'] });
    expect(ck.policy.probes.map(([s]) => s)).toEqual([16]);
  });

  it('resumed from a checkpoint inside a LearnParams phase, gives the same weights, losses and model', async () => {
    const messages: ChildMessage[] = [];
    const resumed = await runJob<PretrainResult>(
      job('aioli-resume', { mixture: aioli, resumeFrom: path.join(root, 'aioli-ref', 'ck', 'step-00000017') }),
      { onMessage: (m) => messages.push(m) },
    );
    expect(resumed.resumedFromStep).toBe(17);
    expect(resumed.lossCurve).toEqual(reference.lossCurve);
    expect(resumed.mixtureWeights).toEqual(reference.mixtureWeights);
    expect(resumed.domainLoss).toEqual(reference.domainLoss);
    expect(mixtureMessages(messages)).toEqual([{ type: 'mixture', step: 17, weights: mixtureMessages(referenceMessages)[1]!.weights }, ...mixtureMessages(referenceMessages).slice(2)]);
    const a = readFileSync(path.join(root, 'aioli-ref', 'model', 'weights.bin'));
    const b = readFileSync(path.join(root, 'aioli-resume', 'model', 'weights.bin'));
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-5);
    // Provenance: the resumed run's next window read the same documents and token ranges.
    const at30 = (name: string) => readFileSync(path.join(root, name, 'ck', 'step-00000030', 'consumed.json'), 'utf8');
    expect(at30('aioli-resume')).toEqual(at30('aioli-ref'));
    expect((JSON.parse(at30('aioli-ref')) as { docs: Array<{ ranges: unknown[] }> }).docs.every((d) => d.ranges.length > 0)).toBe(true);
  });

  it('DoReMi scores against a reference model and outputs the time average of its weights', async () => {
    const messages: ChildMessage[] = [];
    // The reference: the Aioli run's model, 30 steps on the same data (the proxy starts from scratch, so its
    // per-token loss exceeds the reference's on most tokens of both domains).
    const referenceModel = path.join(root, 'aioli-ref', 'model');
    const r = await runJob<PretrainResult>(
      job('doremi', { steps: 20, checkpointEvery: 7, mixture: { method: 'doremi', eta: 1, updateEvery: 5 }, referenceModel }),
      { onMessage: (m) => messages.push(m) },
    );
    doremiResult = r;
    const trajectory = mixtureMessages(messages);
    expect(trajectory.map((m) => m.step)).toEqual([0, 5, 10, 15, 20]);
    expect(trajectory[0]!.weights).toEqual({ fox: 0.5, numbers: 0.5 });
    expect(trajectory[4]!.weights).not.toEqual(trajectory[0]!.weights);
    // The result is the reference's avg_domain_weights: the mean of α over its initial value and the 4 updates.
    for (const d of ['fox', 'numbers']) {
      expect(r.mixtureWeights![d]!).toBeCloseTo(trajectory.reduce((a, m) => a + m.weights[d]!, 0) / 5, 6);
    }
  });

  it('DoReMi resumed between updates (excess losses pending) ends at the same weights, average and model', async () => {
    const referenceModel = path.join(root, 'aioli-ref', 'model');
    const resumeFrom = path.join(root, 'doremi', 'ck', 'step-00000007');
    const ck = JSON.parse(readFileSync(path.join(resumeFrom, 'mixture.json'), 'utf8')) as { pendingExcess: Record<string, [number, number]> };
    expect(Object.keys(ck.pendingExcess).length).toBeGreaterThan(0);
    const resumed = await runJob<PretrainResult>(job('doremi-resume', { steps: 20, checkpointEvery: 7, mixture: { method: 'doremi', eta: 1, updateEvery: 5 }, referenceModel, resumeFrom }));
    expect(resumed.resumedFromStep).toBe(7);
    expect(resumed.lossCurve).toEqual(doremiResult.lossCurve);
    expect(resumed.mixtureWeights).toEqual(doremiResult.mixtureWeights);
    const a = readFileSync(path.join(root, 'doremi', 'model', 'weights.bin'));
    const b = readFileSync(path.join(root, 'doremi-resume', 'model', 'weights.bin'));
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-5);
  });

  it('refuses DoReMi without a reference model, naming the path', async () => {
    await expect(inProcess(job('doremi-noref', { mixture: { method: 'doremi', eta: 1, updateEvery: 1 } }))).rejects.toMatchObject({
      name: 'JobInputError',
      message: expect.stringContaining("job.paths.referenceModel: missing; mixture 'doremi' scores each token's loss against a reference model"),
    });
  });

  it('rejects a mixture combined with decomposition, and weights for a domain the data lacks', async () => {
    const mixed = inProcess(job('bad-combo', { mixture: { method: 'stratified' }, sequenceLength: { curriculum: 'decomposition', buckets: [8, 16] } }));
    await expect(mixed).rejects.toMatchObject({ name: 'JobInputError', message: expect.stringContaining('job.sequenceLength: cannot be combined with job.mixture') });
    const badDomain = inProcess(job('bad-domain', { mixture: { method: 'static', weights: { code: 1 } } }));
    await expect(badDomain).rejects.toMatchObject({ name: 'JobInputError', message: expect.stringContaining('job.mixture.weights.code: no such domain') });
  });

  it('validates the mixture and sequenceLength fields of a job, naming the path', () => {
    const parse = (over: Record<string, unknown>) => () => { const j = job('schema'); return parseJob({ ...j, settings: { ...j.settings, ...over } }); };
    expect(parse({ mixture: { method: 'doremi', eta: 0, updateEvery: 5 } })).toThrow('job: settings.mixture.eta');
    expect(parse({ mixture: { method: 'aioli', eta: 1 } })).toThrow('job: settings.mixture.updateEvery');
    expect(parse({ mixture: { method: 'stratified', extra: 1 } })).toThrow('job: settings.mixture');
    expect(parse({ mixture: { method: 'regmix' } })).toThrow('job: settings.mixture.method');
    expect(parse({ sequenceLength: { curriculum: 'grow', buckets: [8] } })).toThrow('job: settings.sequenceLength.curriculum');
    const base = job('schema');
    const ok = parseJob({ ...base, settings: { ...base.settings, mixture: { method: 'temperature', temperature: 2, updateEvery: 5 } } });
    expect(ok).toMatchObject({ settings: { mixture: { method: 'temperature', temperature: 2, updateEvery: 5 } } });
  });
});

describe('pretrain with dataset decomposition', () => {
  it('lowers the loss with constant tokens per step and fewer attention FLOPs per token than concat-and-chunk', async () => {
    const r = await runJob<PretrainResult>(
      job('dd', { steps: 40, sequenceLength: { curriculum: 'decomposition', buckets: [4, 8, 16, 32] } }),
    );
    expect(r.steps).toBe(40);
    expect(r.tokensSeen).toBe(40 * 8 * 32);
    const first = r.lossCurve[0]![1];
    expect(first).toBeGreaterThan(5);
    expect(r.finalLoss).toBeLessThan(first * 0.6);
    expect(r.concatChunkAttentionFlopsPerToken).toBe(4 * 1 * 32 * 32);
    expect(r.attentionFlopsPerToken!).toBeLessThan(r.concatChunkAttentionFlopsPerToken!);
    const consumed = JSON.parse(readFileSync(path.join(root, 'dd', 'ck', 'step-00000034', 'consumed.json'), 'utf8')) as {
      fromStep: number;
      docs: Array<{ windows: number }>;
    };
    expect(consumed.fromStep).toBe(17);
    expect(consumed.docs.length).toBeGreaterThan(0);

    // The curriculum is a pure function of the job, so a resumed run replays it exactly.
    const resumed = await inProcess(
      job('dd-resume', { steps: 40, sequenceLength: { curriculum: 'decomposition', buckets: [4, 8, 16, 32] }, resumeFrom: path.join(root, 'dd', 'ck', 'step-00000017') }),
    );
    expect(resumed!.lossCurve).toEqual(r.lossCurve);
    expect(resumed!.attentionFlopsPerToken).toBe(r.attentionFlopsPerToken);
    // Provenance: the resumed run tallies the same documents and token ranges (targets of one-document sequences).
    const at34 = (name: string) => readFileSync(path.join(root, name, 'ck', 'step-00000034', 'consumed.json'), 'utf8');
    expect(at34('dd-resume')).toEqual(at34('dd'));
    const ranges = (JSON.parse(at34('dd')) as { docs: Array<{ ranges: Array<[number, number]> }> }).docs.flatMap((d) => d.ranges);
    expect(ranges.length).toBeGreaterThan(0);
    // Every sequence is at least the smallest bucket long.
    expect(ranges.every(([s, e]) => s >= 0 && e - s >= 4)).toBe(true);
  });

  it('rejects resuming a mixture run from a checkpoint written without a mixture', async () => {
    const noState = inProcess(job('bad-resume', { mixture: aioli, resumeFrom: path.join(root, 'dd', 'ck', 'step-00000017') }));
    await expect(noState).rejects.toMatchObject({ name: 'JobInputError', message: expect.stringContaining('step-00000017 has no mixture.json') });
  });

  it('rejects a bucket longer than the model context, naming it', async () => {
    const bad = inProcess(job('dd-bad', { sequenceLength: { curriculum: 'decomposition', buckets: [16, 64] } }));
    await expect(bad).rejects.toMatchObject({ name: 'JobInputError', message: expect.stringContaining('job.sequenceLength.buckets[1]: 64 exceeds model.context 32') });
  });
});
