/**
 * Same numbers on every backend: each available backend's gradients against a float64 finite-difference
 * reference, and the demo model's loss curve on native vs WASM. The native backend is tested when it is
 * installed (`braise setup tensorflow`) or required (BRAISE_TF_BACKEND=tensorflow, as CI sets): then
 * a missing native backend fails here instead of being skipped.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { backendInfo, selectBackend, type BackendPreference } from '../../../ml/backend.ts';
import { createModel, modelFromWeights, paramSpecs, type ModelConfig } from '../../../ml/gpt.ts';
import { lossFn } from '../../../ml/loss.ts';
import { installedNative } from '../../../ml/native/layout.ts';
import { AdamW } from '../../../ml/optim.ts';
import { mulberry32, normalArray } from '../../../ml/random.ts';
import { trainStep } from '../../../ml/train-step.ts';
import { finiteDifferenceGrads, lossF64, type Weights64 } from '../../support/gpt-f64.ts';

const forced = process.env.BRAISE_TF_BACKEND;
const nativeWanted = forced === 'tensorflow' || installedNative('cpu') !== null || installedNative('gpu') !== null;
const backends: BackendPreference[] = ['cpu', 'wasm', ...(nativeWanted ? (['tensorflow'] as const) : [])];

/** Switches this process to `name`, whatever BRAISE_TF_BACKEND says (this file compares backends). */
async function use(name: BackendPreference): Promise<void> {
  delete process.env.BRAISE_TF_BACKEND;
  try {
    expect(await selectBackend(name)).toBe(name);
  } finally {
    if (forced !== undefined) process.env.BRAISE_TF_BACKEND = forced;
  }
}

afterAll(async () => {
  if (forced !== undefined) await selectBackend();
});

describe('gradients on every backend vs a float64 finite-difference reference', () => {
  const config: ModelConfig = { arch: 'gpt', layers: 2, dModel: 8, heads: 2, context: 4, tokenizer: 'byte' };
  const x = [[1, 72, 101, 256], [200, 3, 3, 9]];
  const y = [[72, 101, 256, 7], [3, 3, 9, 12]];
  // Random weights everywhere (gains and biases too), rounded to float32 so both sides compute the same function.
  const rng = mulberry32(11);
  const weights32 = new Map<string, Float32Array>();
  for (const spec of paramSpecs(config)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const w = normalArray(rng, size, 0.3);
    if (spec.init === 'ones') for (let i = 0; i < size; i++) w[i]! += 1;
    weights32.set(spec.name, w);
  }
  const weights64: Weights64 = new Map([...weights32].map(([k, v]) => [k, Float64Array.from(v)]));
  let reference: Weights64 | null = null;

  it.each(backends)('%s: worst relative L2 error per tensor ≤ 1e-5', async (name) => {
    reference ??= finiteDifferenceGrads(config, weights64, x, y);
    await use(name);
    const model = modelFromWeights(config, weights32);
    const xs = tf.tensor2d(x, undefined, 'int32');
    const ys = tf.tensor2d(y, undefined, 'int32');
    try {
      const byVar = new Map([...model.params].map(([n, v]) => [v.name, n]));
      const { value, grads } = tf.variableGrads(() => lossFn(model, xs, ys), [...model.params.values()]);
      expect((await value.data())[0]!).toBeCloseTo(lossF64(config, weights64, x, y), 5);
      const errors: Array<[string, number]> = [];
      for (const [varName, g] of Object.entries(grads)) {
        const name = byVar.get(varName)!;
        const got = await g.data();
        const want = reference.get(name)!;
        let diff = 0;
        let norm = 0;
        for (let i = 0; i < want.length; i++) {
          diff += (got[i]! - want[i]!) ** 2;
          norm += want[i]! ** 2;
        }
        errors.push([name, Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12)]);
      }
      tf.dispose([value, ...Object.values(grads)]);
      expect(errors).toHaveLength(paramSpecs(config).length);
      const worst = errors.reduce((a, b) => (b[1] > a[1] ? b : a));
      expect(worst[1], `worst tensor ${worst[0]}`).toBeLessThanOrEqual(1e-5);
    } finally {
      tf.dispose([xs, ys]);
      model.dispose();
    }
  }, 120_000);
});

/** The demo recipe's model, batch size and learning rate, so this follows the demo's defaults. */
function demoSettings(): { model: ModelConfig; batchSize: number; lr: number } {
  const recipe = parse(readFileSync(new URL('../../../recipes/demo.yaml', import.meta.url), 'utf8')) as {
    model: ModelConfig;
    stages: Array<{ kind: string; with?: { batchSize?: number; lr?: number } }>;
  };
  const pretrain = recipe.stages.find((s) => s.kind === 'pretrain');
  return { model: recipe.model, batchSize: pretrain?.with?.batchSize ?? 16, lr: pretrain?.with?.lr ?? 1e-3 };
}

async function lossCurve(name: BackendPreference, steps: number): Promise<number[]> {
  await use(name);
  const { model: config, batchSize, lr } = demoSettings();
  const T = config.context;
  const model = createModel(config, 1234);
  const opt = new AdamW(model.params, { weightDecay: 0.1 });
  const text = Buffer.from('The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. '.repeat(400));
  const curve: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const rows = Array.from({ length: batchSize }, (_, b) => {
        const at = ((s * batchSize + b) * 37) % (text.length - T - 1);
        return Array.from(text.subarray(at, at + T + 1));
      });
      const xs = tf.tensor2d(rows.map((r) => r.slice(0, T)), undefined, 'int32');
      const ys = tf.tensor2d(rows.map((r) => r.slice(1)), undefined, 'int32');
      curve.push((await trainStep(model, opt, xs, ys, { lr, gradClip: 1 })).loss);
      tf.dispose([xs, ys]);
    }
  } finally {
    opt.dispose();
    model.dispose();
  }
  return curve;
}

// Measured here: worst gradient errors 3e-7 (cpu), 9e-7 (wasm), 5e-7 (tensorflow); curves within 4e-6 relative.
describe('the demo model trains the same on native and on WASM', () => {
  it.skipIf(!nativeWanted)('20 steps: equal loss curves within float32 tolerance, and native records TensorFlow', async () => {
    const wasm = await lossCurve('wasm', 20);
    const native = await lossCurve('tensorflow', 20);
    const info = backendInfo();
    expect(info.backend).toBe('tensorflow');
    expect(info.tensorflowVersion).toMatch(/^2\.16\./);
    expect(wasm.at(-1)!).toBeLessThan(wasm[0]! - 0.5);
    for (let i = 0; i < wasm.length; i++) expect(Math.abs(native[i]! - wasm[i]!), `step ${i + 1}`).toBeLessThan(1e-4 * wasm[i]!);
  }, 300_000);
});
