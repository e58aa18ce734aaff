import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../ml/backend.ts';
import {
  checkpointDirName,
  latestCheckpoint,
  loadCheckpoint,
  loadModel,
  saveCheckpoint,
  saveModel,
  type TrainState,
} from '../../../ml/checkpoint.ts';
import { createModel, readWeights, type ModelConfig } from '../../../ml/gpt.ts';
import { AdamW } from '../../../ml/optim.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';
import * as tf from '@tensorflow/tfjs-core';

const config: ModelConfig = { arch: 'gpt', layers: 1, dModel: 8, heads: 2, context: 4, tokenizer: 'byte' };
const tokenizer = byteTokenizer();
const state = (step: number): TrainState => ({
  step,
  lossCurve: Array.from({ length: step }, (_, i) => [i + 1, 5 - i * 0.1] as [number, number]),
  tokensSeen: step * 16,
  backend: 'wasm',
  seed: 3,
});

const temps: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

beforeAll(async () => {
  await selectBackend('wasm');
});
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

async function optimizerAfterOneStep(params: ReturnType<typeof createModel>['params']): Promise<AdamW> {
  const opt = new AdamW(params, { weightDecay: 0.1 });
  const grads = Object.fromEntries([...params].map(([n, v]) => [n, tf.onesLike(v)]));
  opt.apply(grads, 0.01);
  tf.dispose(Object.values(grads));
  return opt;
}

describe('checkpoints', () => {
  it('round-trips weights, optimizer state and training state exactly', async () => {
    const root = tempDir('braise-ck-');
    const model = createModel(config, 11);
    const opt = await optimizerAfterOneStep(model.params);
    const weights = await readWeights(model);
    const optimizer = await opt.exportState();
    const dir = await saveCheckpoint(root, { config, tokenizer, weights, optimizer, state: state(12) }, { 'consumed.json': { n: 1 } });
    expect(path.basename(dir)).toBe('step-00000012');
    expect(readdirSync(dir).sort()).toEqual(
      ['config.json', 'consumed.json', 'optimizer.bin', 'optimizer.json', 'state.json', 'tokenizer.json', 'weights.bin', 'weights.json'],
    );
    const index = JSON.parse(readFileSync(path.join(dir, 'weights.json'), 'utf8')) as Array<{ name: string; shape: number[]; byteOffset: number }>;
    expect(index[0]).toEqual({ name: 'wte', shape: [257, 8], byteOffset: 0 });
    expect(index[1]).toEqual({ name: 'wpe', shape: [4, 8], byteOffset: 257 * 8 * 4 });

    const ck = await loadCheckpoint(dir);
    expect(ck.state).toEqual(state(12));
    expect(ck.config).toEqual({ ...config, vocabSize: 257 });
    for (const [name, w] of weights) expect(Array.from(ck.weights.get(name)!)).toEqual(Array.from(w));
    expect(ck.optimizer.step).toBe(1);
    expect(ck.optimizer.weightDecay).toBe(0.1);
    for (const [name, m] of optimizer.m) expect(Array.from(ck.optimizer.m.get(name)!)).toEqual(Array.from(m));
    for (const [name, v] of optimizer.v) expect(Array.from(ck.optimizer.v.get(name)!)).toEqual(Array.from(v));
    opt.dispose();
    model.dispose();
  });

  it('finds the latest complete checkpoint, ignoring torn and temporary directories', async () => {
    const root = tempDir('braise-ck-');
    expect(await latestCheckpoint(root)).toBeNull();
    expect(await latestCheckpoint(path.join(root, 'nope'))).toBeNull();
    const model = createModel(config, 1);
    const opt = await optimizerAfterOneStep(model.params);
    const ck = { config, tokenizer, weights: await readWeights(model), optimizer: await opt.exportState() };
    await saveCheckpoint(root, { ...ck, state: state(50) });
    await saveCheckpoint(root, { ...ck, state: state(100) });
    // A save killed before its rename leaves only a temp dir; a directory without state.json is torn.
    mkdirSync(path.join(root, `${checkpointDirName(150)}.tmp-999999`));
    mkdirSync(path.join(root, checkpointDirName(200)));
    writeFileSync(path.join(root, checkpointDirName(200), 'weights.bin'), 'partial');
    expect(await latestCheckpoint(root)).toBe(path.join(root, 'step-00000100'));
    // No temp directory of a finished save is left behind.
    expect(readdirSync(root).filter((n) => n.includes('.tmp-') && !n.endsWith('999999'))).toEqual([]);
    opt.dispose();
    model.dispose();
  });

  it('saves and loads a model directory with model.json', async () => {
    const dir = path.join(tempDir('braise-model-'), 'out');
    const model = createModel(config, 5);
    const weights = await readWeights(model);
    await saveModel(dir, { config, tokenizer, weights, state: state(3), finalLoss: 4.5 });
    expect(existsSync(path.join(dir, 'optimizer.bin'))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'))).toEqual({
      format: 'braise.model/v1',
      config,
      backend: 'wasm',
      steps: 3,
      finalLoss: 4.5,
    });
    const loaded = await loadModel(dir);
    expect(loaded.meta.steps).toBe(3);
    const again = await readWeights(loaded.model);
    for (const [name, w] of weights) expect(Array.from(again.get(name)!)).toEqual(Array.from(w));
    loaded.model.dispose();
    model.dispose();
  });

  it('reports a missing or malformed file by path', async () => {
    const dir = path.join(tempDir('braise-model-'), 'm');
    const model = createModel(config, 5);
    await saveModel(dir, { config, tokenizer, weights: await readWeights(model), state: state(1), finalLoss: 1 });
    model.dispose();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, heads: 'two' }));
    await expect(loadModel(dir)).rejects.toThrow(`${path.join(dir, 'config.json')}: heads`);
    rmSync(path.join(dir, 'weights.bin'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    await expect(loadModel(dir)).rejects.toThrow(`${path.join(dir, 'weights.bin')}: cannot read`);
  });
});
