/**
 * DoReMi's score inside the trainer's step (ml/mixing/row-loss-step.ts): with a reference model, each row's
 * excess is Σ over its tokens of max(ℓθ − ℓref, 0), clipped token by token as the reference's trainer does
 * (sangmichaelxie/doremi `update_domain_weights`), not the clipped difference of the rows' mean losses; the
 * update itself is the one without a reference; no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../ml/backend.ts';
import { createModel, forward, type GptModel, type ModelConfig } from '../../../ml/gpt.ts';
import { tokenNll } from '../../../ml/loss.ts';
import { trainStepWithRowNll } from '../../../ml/mixing/row-loss-step.ts';
import { AdamW } from '../../../ml/optim.ts';

const config: ModelConfig = { arch: 'gpt', layers: 1, dModel: 16, heads: 2, context: 8, tokenizer: 'byte' };
let proxy: GptModel;
let twin: GptModel;
let reference: GptModel;

beforeAll(async () => {
  await selectBackend('wasm');
  proxy = createModel(config, 3);
  twin = createModel(config, 3);
  reference = createModel(config, 4);
});
afterAll(() => [proxy, twin, reference].forEach((m) => m.dispose()));

const rows = ['the fox jumps', '12 + 30 = 42'].map((t) => [...Buffer.from(t.padEnd(9, '.'))].slice(0, 9));
const tensors = () => ({ x: tf.tensor2d(rows.map((r) => r.slice(0, 8)), undefined, 'int32'), y: tf.tensor2d(rows.map((r) => r.slice(1)), undefined, 'int32') });
const nll = async (m: GptModel, x: tf.Tensor2D, y: tf.Tensor2D): Promise<number[][]> => {
  const t = tf.tidy(() => tokenNll(forward(m, x), y));
  const out = (await t.array()) as number[][];
  t.dispose();
  return out;
};

describe('trainStepWithRowNll with a reference model', () => {
  it('sums max(ℓθ − ℓref, 0) per token, before the update, and updates as without a reference', async () => {
    const { x, y } = tensors();
    const hyper = { lr: 1e-2, gradClip: 1 };
    const [optA, optB] = [new AdamW(proxy.params), new AdamW(twin.params)];
    // AdamW makes its moments at its first step: warm both up on another batch first.
    const warm = tensors();
    await trainStepWithRowNll(proxy, optA, warm.x, warm.y, { lr: 0, gradClip: 1 }, reference);
    await trainStepWithRowNll(twin, optB, warm.x, warm.y, { lr: 0, gradClip: 1 });
    tf.dispose([warm.x, warm.y]);
    const mine = await nll(proxy, x, y);
    const ref = await nll(reference, x, y);
    const before = tf.memory().numTensors;
    const out = await trainStepWithRowNll(proxy, optA, x, y, hyper, reference);
    const plain = await trainStepWithRowNll(twin, optB, x, y, hyper);
    expect(tf.memory().numTensors).toBe(before);
    const perToken = mine.map((r, i) => r.reduce((a, l, t) => a + Math.max(l - ref[i]![t]!, 0), 0));
    perToken.forEach((e, i) => expect(out.rowExcess![i]).toBeCloseTo(e, 4));
    // Some token of these random models is below its reference: per-token clipping keeps more than the clipped difference of sums.
    const ofSums = mine.map((r, i) => Math.max(r.reduce((a, b) => a + b, 0) - ref[i]!.reduce((a, b) => a + b, 0), 0));
    expect(perToken.some((e, i) => e > ofSums[i]! + 1e-3)).toBe(true);
    expect(plain.rowExcess).toBeUndefined();
    expect(out.loss).toBeCloseTo(plain.loss, 6);
    expect(Array.from(out.rowNll)).toEqual(Array.from(plain.rowNll));
    tf.dispose([x, y]);
  });
});
