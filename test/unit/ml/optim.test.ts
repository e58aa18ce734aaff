import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../ml/backend.ts';
import { AdamW, clipByGlobalNorm, lrAt } from '../../../ml/optim.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('lrAt', () => {
  const s = { lr: 1e-3, warmupSteps: 10, totalSteps: 110, minLrRatio: 0.1 };

  it('warms up linearly to the peak at warmupSteps', () => {
    const warm = Array.from({ length: 10 }, (_, i) => lrAt(i + 1, s));
    for (let i = 0; i < 10; i++) expect(warm[i]).toBeCloseTo((s.lr * (i + 1)) / 10, 12);
    const deltas = warm.slice(1).map((v, i) => v - warm[i]!);
    for (const d of deltas) expect(d).toBeCloseTo(s.lr / 10, 12);
    expect(lrAt(10, s)).toBeCloseTo(s.lr, 12);
  });

  it('decays by cosine to minLrRatio·lr at totalSteps', () => {
    expect(lrAt(60, s)).toBeCloseTo(s.lr * 0.1 + (s.lr - s.lr * 0.1) * 0.5, 12); // halfway
    expect(lrAt(110, s)).toBeCloseTo(s.lr * 0.1, 12);
    for (let step = 11; step <= 110; step++) expect(lrAt(step, s)).toBeLessThan(lrAt(step - 1, s));
  });

  it('handles no warmup', () => {
    const t = { ...s, warmupSteps: 0 };
    expect(lrAt(1, t)).toBeLessThanOrEqual(t.lr);
    expect(lrAt(1, t)).toBeGreaterThan(t.lr * 0.99);
    expect(lrAt(110, t)).toBeCloseTo(t.lr * 0.1, 12);
  });
});

describe('AdamW', () => {
  it('matches a hand computation on a quadratic over two steps', async () => {
    // f(W, b) = ½‖W‖² + ½‖b‖², so ∇ = (W, b). W (rank 2) is decayed; b (rank 1) is not.
    const W0 = [1, -2, 0.5, 3];
    const b0 = [0.25, -1];
    const W = tf.variable(tf.tensor2d(W0, [2, 2]));
    const b = tf.variable(tf.tensor1d(b0));
    const params = new Map<string, tf.Variable>([['W', W], ['b', b]]);
    const [lr, wd, b1, b2, eps] = [0.1, 0.5, 0.9, 0.999, 1e-8];
    const opt = new AdamW(params, { beta1: b1, beta2: b2, eps, weightDecay: wd });

    // Hand computation, plain JS.
    const hand = (p0: number[], decay: boolean): number[] =>
      p0.map((p) => {
        let m = 0;
        let v = 0;
        for (let t = 1; t <= 2; t++) {
          const g = p;
          m = b1 * m + (1 - b1) * g;
          v = b2 * v + (1 - b2) * g * g;
          const mhat = m / (1 - b1 ** t);
          const vhat = v / (1 - b2 ** t);
          p = (decay ? p * (1 - lr * wd) : p) - (lr * mhat) / (Math.sqrt(vhat) + eps);
        }
        return p;
      });

    for (let t = 0; t < 2; t++) {
      tf.tidy(() => opt.apply({ W: W.clone(), b: b.clone() }, lr));
    }
    expect(opt.step).toBe(2);
    const gotW = Array.from(await W.data());
    const gotB = Array.from(await b.data());
    hand(W0, true).forEach((v, i) => expect(gotW[i]).toBeCloseTo(v, 5));
    hand(b0, false).forEach((v, i) => expect(gotB[i]).toBeCloseTo(v, 5));

    // State round-trips exactly into a fresh optimizer.
    const state = await opt.exportState();
    const opt2 = new AdamW(params, { weightDecay: wd });
    opt2.importState(state);
    const again = await opt2.exportState();
    expect(again.step).toBe(2);
    expect(Array.from(again.m.get('W')!)).toEqual(Array.from(state.m.get('W')!));
    expect(Array.from(again.v.get('b')!)).toEqual(Array.from(state.v.get('b')!));
    opt.dispose();
    opt2.dispose();
    W.dispose();
    b.dispose();
  });

  it('rejects optimizer state of the wrong size, naming the parameter', async () => {
    const W = tf.variable(tf.zeros([2, 2]));
    const opt = new AdamW(new Map([['W', W]]));
    const state = await opt.exportState();
    state.m.set('W', new Float32Array(3));
    expect(() => opt.importState(state)).toThrow(/m\/W/);
    opt.dispose();
    W.dispose();
  });
});

describe('clipByGlobalNorm', () => {
  it('scales gradients to the max norm and reports the pre-clip norm', async () => {
    const { grads, norm } = clipByGlobalNorm({ a: tf.tensor1d([3]), b: tf.tensor2d([[4]]) }, 1);
    expect((await norm.data())[0]).toBeCloseTo(5, 5);
    expect((await grads['a']!.data())[0]).toBeCloseTo(0.6, 5);
    expect((await grads['b']!.data())[0]).toBeCloseTo(0.8, 5);
  });

  it('leaves small gradients alone', async () => {
    const { grads } = clipByGlobalNorm({ a: tf.tensor1d([0.3, 0.4]) }, 1);
    expect(Array.from(await grads['a']!.data())).toEqual([expect.closeTo(0.3, 6), expect.closeTo(0.4, 6)]);
  });
});
