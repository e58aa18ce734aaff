import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../ml/backend.ts';
import { installedNative } from '../../../ml/native/layout.ts';
import { latestCheckpoint, loadCheckpoint, saveModel } from '../../../ml/checkpoint.ts';
import { consumedChain } from '../../../ml/consumed.ts';
import { createModel, readWeights } from '../../../ml/gpt.ts';
import type { ChildMessage, EvaluateResult, PretrainJob, PretrainResult } from '../../../ml/jobs.ts';
import { PermanentError } from '../../../errors/permanent.ts';
import { runJob, trainerPids } from '../../../ml/runner.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';
import { pretrainJob, type FlatPretrainJob } from './pretrain-job.ts';

/*
 * These tests run real trainer child processes (tsx + TensorFlow.js WASM) on a tiny model.
 * They share one uninterrupted reference run and compare resumed runs against it.
 */

const root = mkdtempSync(path.join(tmpdir(), 'braise-runner-'));
const shardFile = path.join(root, 'train.jsonl');
const lines = [
  ...Array.from({ length: 24 }, (_, i) => ({ id: `fox-${i}`, text: 'the quick brown fox jumps over the lazy dog. '.repeat(3), domain: 'fox' })),
  ...Array.from({ length: 8 }, (_, i) => ({ id: `num-${i}`, text: `${i * 7919} ${i * 104729} ${i * 31}`, domain: 'numbers' })),
];
writeFileSync(shardFile, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

const model = { arch: 'gpt', layers: 1, dModel: 32, heads: 2, context: 32, tokenizer: 'byte' } as const;
function job(name: string, over: Partial<FlatPretrainJob> = {}): PretrainJob {
  return pretrainJob({
    shards: [shardFile],
    model,
    steps: 40,
    checkpointEvery: 20,
    checkpointDir: path.join(root, name, 'ck'),
    outputDir: path.join(root, name, 'model'),
    ...over,
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

function maxAbsDiff(a: Buffer, b: Buffer): number {
  const x = new Float32Array(a.buffer, a.byteOffset, a.byteLength / 4);
  const y = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  expect(x.length).toBe(y.length);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

let reference: PretrainResult;
const referenceMessages: ChildMessage[] = [];

beforeAll(async () => {
  reference = await runJob<PretrainResult>(job('ref'), { onMessage: (m) => referenceMessages.push(m) });
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('runJob: pretrain', () => {
  it('lowers the loss on a small repeated text, reporting progress and checkpoints', () => {
    expect(reference.steps).toBe(40);
    // The job asks for `auto`: native where it is set up, else WASM (the `native` test project forces it with
    // BRAISE_TF_BACKEND). The model records the backend, its TensorFlow and device.
    const backend = process.env.BRAISE_TF_BACKEND || (installedNative('cpu') ? 'tensorflow' : 'wasm');
    expect(reference.backend).toBe(backend);
    expect(reference.resumedFromStep).toBeNull();
    expect(reference.tokensSeen).toBe(40 * 8 * 32);
    expect(reference.lossCurve.map(([s]) => s)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const first = reference.lossCurve[0]![1];
    expect(first).toBeGreaterThan(5);
    expect(reference.finalLoss).toBeLessThan(first * 0.55);
    const progress = referenceMessages.filter((m) => m.type === 'progress');
    expect(progress).toHaveLength(40);
    expect(progress[0]).toMatchObject({ step: 1, totalSteps: 40 });
    expect(referenceMessages.filter((m) => m.type === 'checkpoint').map((m) => (m as { step: number }).step)).toEqual([20, 40]);
    const meta = JSON.parse(readFileSync(path.join(root, 'ref', 'model', 'model.json'), 'utf8')) as { steps: number; backend: string };
    expect(meta).toMatchObject({ format: 'braise.model/v1', steps: 40, backend, tensorflowVersion: backend === 'tensorflow' ? expect.stringMatching(/^2\.16\./) : null, device: 'cpu' });
    const consumed = JSON.parse(readFileSync(path.join(root, 'ref', 'ck', 'step-00000040', 'consumed.json'), 'utf8')) as {
      fromStep: number;
      toStep: number;
      docs: Array<{ id: string }>;
    };
    expect(consumed).toMatchObject({ fromStep: 20, toStep: 40 });
    expect(consumed.docs.length).toBeGreaterThan(0);
  });

  it('resumed from the step-20 checkpoint, ends with the same weights and loss curve', async () => {
    const resumed = await runJob<PretrainResult>(job('resume', { resumeFrom: path.join(root, 'ref', 'ck', 'step-00000020') }));
    expect(resumed.resumedFromStep).toBe(20);
    expect(resumed.lossCurve).toEqual(reference.lossCurve);
    const a = readFileSync(path.join(root, 'ref', 'model', 'weights.bin'));
    const b = readFileSync(path.join(root, 'resume', 'model', 'weights.bin'));
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-5);
    // Provenance: the resumed run records the same window as the uninterrupted one, and its chain
    // (its own checkpoint, then the one it resumed from) is the reference's, each window once.
    const consumedAt = (name: string) => readFileSync(path.join(root, name, 'ck', 'step-00000040', 'consumed.json'), 'utf8');
    expect(consumedAt('resume')).toEqual(consumedAt('ref'));
    const chain = await consumedChain([path.join(root, 'resume', 'ck'), path.join(root, 'ref', 'ck')], 40);
    expect(chain).toEqual(await consumedChain(path.join(root, 'ref', 'ck'), 40));
    expect(chain.windows.map((w) => [w.fromStep, w.toStep])).toEqual([[0, 20], [20, 40]]);
  });

  it('abort stops the child within seconds after a final checkpoint, and resuming from it matches', async () => {
    const controller = new AbortController();
    let pid: number | undefined;
    let abortedAt = 0;
    const run = runJob<PretrainResult>(job('abort'), {
      signal: controller.signal,
      onMessage: (m) => {
        if (m.type === 'progress' && m.step === 3) {
          pid = trainerPids()[0];
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - abortedAt).toBeLessThan(5_000);
    expect(pid).toBeDefined();
    expect(pidAlive(pid!)).toBe(false);
    expect(trainerPids()).toEqual([]);

    const last = await latestCheckpoint(path.join(root, 'abort', 'ck'));
    expect(last).not.toBeNull();
    const ck = await loadCheckpoint(last!);
    expect(ck.state.step).toBeGreaterThanOrEqual(3);
    expect(ck.state.step).toBeLessThan(40);
    expect(existsSync(path.join(root, 'abort', 'model'))).toBe(false);

    const resumed = await runJob<PretrainResult>(job('abort', { resumeFrom: last! }));
    expect(resumed.lossCurve).toEqual(reference.lossCurve);
    const a = readFileSync(path.join(root, 'ref', 'model', 'weights.bin'));
    const b = readFileSync(path.join(root, 'abort', 'model', 'weights.bin'));
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-5);
  });

  it('a SIGKILLed parent takes its trainer child with it', async () => {
    const dir = path.join(root, 'orphan');
    mkdirSync(dir, { recursive: true });
    const runner = pathToFileURL(fileURLToPath(new URL('../../../ml/runner.ts', import.meta.url))).href;
    const script = path.join(dir, 'parent.ts');
    writeFileSync(
      script,
      `import { runJob, trainerPids } from ${JSON.stringify(runner)};
let told = false;
runJob(${JSON.stringify(job('orphan', { steps: 100_000, checkpointEvery: 100_000 }))}, {
  onMessage: (m) => { if (m.type === 'progress' && !told) { told = true; console.log('CHILD ' + trainerPids()[0]); } },
}).catch(() => {});
`,
    );
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const parent = spawn(process.execPath, ['--import', tsx, script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const childPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /CHILD (\d+)/.exec(out);
        if (m !== null) resolve(Number(m[1]));
      });
      parent.on('exit', () => reject(new Error(`parent exited early: ${out}`)));
    });
    expect(pidAlive(childPid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await waitUntil(() => !pidAlive(childPid), 5_000)).toBe(true);
  });

  it('reports bad input as a permanent error naming the problem', async () => {
    const missing = runJob(job('bad1', { shards: [path.join(root, 'nope.jsonl')] }));
    await expect(missing).rejects.toBeInstanceOf(PermanentError);
    await expect(missing).rejects.toMatchObject({ name: 'JobInputError', message: expect.stringContaining('nope.jsonl: shard file not found') });
    const invalid = runJob(job('bad2', { model: { ...model, heads: 3 } }));
    await expect(invalid).rejects.toMatchObject({ name: 'JobInputError', message: expect.stringContaining('job: model.dModel') });
  });
});

describe('runJob: evaluate', () => {
  it('gives finite bits/byte per domain, lower for the trained model than a fresh one', async () => {
    await selectBackend('wasm');
    const freshDir = path.join(root, 'fresh-model');
    const fresh = createModel(model, 42);
    const state = { step: 0, lossCurve: [], tokensSeen: 0, backend: 'wasm', seed: 42 };
    await saveModel(freshDir, { config: model, tokenizer: byteTokenizer(), weights: await readWeights(fresh), state, finalLoss: NaN });
    fresh.dispose();

    const evaluate = (modelDir: string) =>
      runJob<EvaluateResult>({ type: 'evaluate', modelDir, shards: [shardFile], tasks: [{ task: 'perplexity', name: 'perplexity' }] });
    const [trained, untrained] = [await evaluate(path.join(root, 'ref', 'model')), await evaluate(freshDir)];
    for (const r of [trained, untrained]) {
      expect(Object.keys(r.perDomain).sort()).toEqual(['fox', 'numbers']);
      for (const d of Object.values(r.perDomain)) {
        expect(Number.isFinite(d.bitsPerByte)).toBe(true);
        expect(d.bitsPerByte).toBeGreaterThan(0);
      }
      const mean = (r.perDomain['fox']!.bitsPerByte + r.perDomain['numbers']!.bitsPerByte) / 2;
      expect(r.metrics['perplexity/mean/bits_per_byte']).toBeCloseTo(mean, 10);
      expect(r.metrics['perplexity/fox/bits_per_byte']).toBe(r.perDomain['fox']!.bitsPerByte);
    }
    expect(trained.perDomain['fox']).toMatchObject({ docs: 24, bytes: 24 * 135 });
    // A fresh model is near-uniform over 257 symbols: about log2(257) ≈ 8 bits per byte.
    expect(untrained.perDomain['fox']!.bitsPerByte).toBeGreaterThan(7.5);
    expect(trained.perDomain['fox']!.bitsPerByte).toBeLessThan(untrained.perDomain['fox']!.bitsPerByte * 0.6);
  });
});
