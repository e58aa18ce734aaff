import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { attentionMatMul, slicedMatMul } from '../../../ml/attention-matmul.ts';
import { selectBackend } from '../../../ml/backend.ts';
import '../../../ml/gradients.ts';
import { mulberry32, normalArray } from '../../../ml/random.ts';

const rng = mulberry32(11);
const rand = (shape: number[]) => tf.tensor(normalArray(rng, shape.reduce((a, b) => a * b, 1), 1), shape);

/** max |x − y| / max |y|. */
async function relErr(x: tf.Tensor, y: tf.Tensor): Promise<number> {
  const [a, b] = [await x.data(), await y.data()];
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

beforeAll(async () => {
  expect(await selectBackend('wasm')).toBe('wasm');
});

describe('attention matmul per slice', () => {
  // Attention's two products on [B, H, T, dh]: q·kᵀ and softmax·v, plus a 3-D case.
  const cases: Array<[number[], number[]]> = [
    [[2, 3, 7, 4], [2, 3, 4, 7]],
    [[2, 3, 7, 7], [2, 3, 7, 4]],
    [[5, 6, 3], [5, 3, 2]],
  ];
  for (const [sa, sb] of cases) {
    it(`equals tf.matMul on [${sa}]·[${sb}], forward and gradients`, async () => {
      const a = rand(sa);
      const b = rand(sb);
      const w = rand([...sa.slice(0, -1), sb.at(-1)!]); // a random cotangent
      const loss = (f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x, y), w));
      const ref = tf.matMul(a, b);
      const got = slicedMatMul(a, b);
      expect(got.shape).toEqual(ref.shape);
      expect(await relErr(got, ref)).toBeLessThan(1e-6);
      const [ga, gb] = tf.grads(loss(slicedMatMul))([a, b]);
      const [ra, rb] = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
      expect(await relErr(ga!, ra!)).toBeLessThan(1e-6);
      expect(await relErr(gb!, rb!)).toBeLessThan(1e-6);
      tf.dispose([a, b, w, ref, got, ga!, gb!, ra!, rb!]);
    });
  }

  it('is what attention uses on WASM, and leaves no tensor behind', () => {
    const a = rand([2, 2, 4, 3]);
    const b = rand([2, 2, 3, 4]);
    const before = tf.memory().numTensors;
    const y = attentionMatMul(a, b);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([a, b, y]);
  });
});
