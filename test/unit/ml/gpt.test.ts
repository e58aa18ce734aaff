import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../ml/backend.ts';
import { createModel, forward, readWeights, type GptModel, type ModelConfig } from '../../../ml/gpt.ts';
import { lossFn, sequenceNll } from '../../../ml/loss.ts';
import { AdamW } from '../../../ml/optim.ts';
import { trainStep } from '../../../ml/train-step.ts';

const config: ModelConfig = { arch: 'gpt', layers: 2, dModel: 16, heads: 2, context: 8, tokenizer: 'byte' };
let model: GptModel;

const ids = (rows: number[][]): tf.Tensor2D => tf.tensor2d(rows, undefined, 'int32');

beforeAll(async () => {
  await selectBackend('wasm');
  model = createModel(config, 7);
});
afterAll(() => model.dispose());

describe('GPT', () => {
  it('maps [B, T] tokens to [B, T, 257] logits, for any T ≤ context', () => {
    const logits = forward(model, ids([[1, 2, 3, 256], [5, 6, 7, 8]]));
    expect(logits.shape).toEqual([2, 4, 257]);
    logits.dispose();
    expect(() => forward(model, ids([[1, 2, 3, 4, 5, 6, 7, 8, 9]]))).toThrow(/exceeds context 8/);
  });

  it('is causal: a later token never changes earlier logits', async () => {
    const a = forward(model, ids([[10, 20, 30, 40, 50]]));
    const b = forward(model, ids([[10, 20, 30, 99, 51]]));
    const da = await a.data();
    const db = await b.data();
    const V = 257;
    for (let i = 0; i < 3 * V; i++) expect(db[i]).toBeCloseTo(da[i]!, 5);
    const later = Array.from(da.slice(3 * V, 4 * V)).some((v, i) => Math.abs(v - db[3 * V + i]!) > 1e-4);
    expect(later).toBe(true);
    tf.dispose([a, b]);
  });

  it('initialises deterministically from the seed', async () => {
    const again = createModel(config, 7);
    const other = createModel(config, 8);
    const w1 = await readWeights(model);
    const w2 = await readWeights(again);
    const w3 = await readWeights(other);
    expect(Array.from(w2.get('h1.mlp.w1')!)).toEqual(Array.from(w1.get('h1.mlp.w1')!));
    expect(Array.from(w3.get('h1.mlp.w1')!)).not.toEqual(Array.from(w1.get('h1.mlp.w1')!));
    expect(Array.from(w1.get('h0.ln1.g')!).every((v) => v === 1)).toBe(true);
    again.dispose();
    other.dispose();
  });

  it('starts near the uniform loss ln(257)', async () => {
    const loss = lossFn(model, ids([[1, 2, 3, 4]]), ids([[2, 3, 4, 5]]));
    expect(Math.abs((await loss.data())[0]! - Math.log(257))).toBeLessThan(0.15);
    loss.dispose();
  });

  it('weights the loss per token and sums NLL per sequence', async () => {
    const x = ids([[1, 2, 3, 4], [9, 8, 7, 6]]);
    const y = ids([[2, 3, 4, 5], [8, 7, 6, 5]]);
    const w = tf.tensor2d([[0, 1, 1, 0], [1, 1, 1, 1]]);
    const { nll, count } = sequenceNll(model, x, y, w);
    const n = await nll.data();
    const c = await count.data();
    expect(Array.from(c)).toEqual([2, 4]);
    const weighted = (await lossFn(model, x, y, w).data())[0]!;
    expect(weighted).toBeCloseTo((n[0]! + n[1]!) / 6, 5);
    const plain = sequenceNll(model, x, y);
    const all = (await lossFn(model, x, y).data())[0]!;
    const p = await plain.nll.data();
    expect(all).toBeCloseTo((p[0]! + p[1]!) / 8, 5);
    expect(Array.from(await plain.count.data())).toEqual([4, 4]);
    tf.dispose([x, y, w, nll, count, plain.nll, plain.count]);
  });

  it('has gradients that match finite differences, parameter by parameter', async () => {
    const m = createModel({ ...config, layers: 1 }, 3);
    const x = ids([[1, 5, 9, 13, 200, 256]]);
    const y = ids([[5, 9, 13, 200, 256, 3]]);
    const w = tf.tensor2d([[1, 0.5, 1, 1, 0, 1]]);
    const vars = [...m.params.values()];
    const { grads } = tf.variableGrads(() => lossFn(m, x, y, w), vars);
    const eps = 1e-3;
    for (const [i, v] of vars.entries()) {
      // Directional derivative along a random direction vs a central difference (float32, so loose).
      const dir = tf.randomUniform(v.shape, -1, 1, 'float32', i + 1);
      const analytic = (await tf.sum(tf.mul(grads[v.name]!, dir)).data())[0]!;
      const orig = v.clone();
      v.assign(tf.add(orig, tf.mul(dir, eps)));
      const plus = (await lossFn(m, x, y, w).data())[0]!;
      v.assign(tf.sub(orig, tf.mul(dir, eps)));
      const minus = (await lossFn(m, x, y, w).data())[0]!;
      v.assign(orig);
      const numeric = (plus - minus) / (2 * eps);
      expect(Math.abs(analytic - numeric), v.name).toBeLessThan(1e-3 + 0.03 * Math.abs(numeric));
    }
    m.dispose();
  });

  it('trains without leaking tensors', async () => {
    const m = createModel(config, 1);
    const opt = new AdamW(m.params, { weightDecay: 0.1 });
    const x = ids([[1, 2, 3, 4, 5, 6, 7, 8]]);
    const y = ids([[2, 3, 4, 5, 6, 7, 8, 9]]);
    const counts: number[] = [];
    const losses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const { loss } = await trainStep(m, opt, x, y, { lr: 1e-2, gradClip: 1 });
      losses.push(loss);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.7);
    tf.dispose([x, y]);
    opt.dispose();
    m.dispose();
  });

  it('frees every tensor it created on dispose', async () => {
    const before = tf.memory().numTensors;
    const m = createModel(config, 2);
    const opt = new AdamW(m.params);
    opt.importState(await opt.exportState());
    const x = ids([[1, 2, 3]]);
    tf.dispose([forward(m, x), x]);
    opt.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects invalid configs naming the field', () => {
    expect(() => createModel({ ...config, heads: 3 }, 1)).toThrow(/dModel: dModel must be divisible by heads/);
    expect(() => createModel({ ...config, layers: 0 }, 1)).toThrow(/layers/);
  });
});
