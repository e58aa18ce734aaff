/**
 * The defining properties of the post-training losses (ml/posttrain/): DPO is log 2 at πθ = π_ref and a few
 * gradient steps on it grow the reward margin; SimPO's formula; GRPO's group advantages, clipping and KL
 * estimator; finite gradients at extreme inputs; the answer verifier. Values from open-instruct itself are in
 * posttrain-golden.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../ml/backend.ts';
import { DPO_DEFAULTS, dpoLoss, dpoMetrics, dpoOptionsSchema, logprobReduction, type DpoLossType } from '../../../ml/posttrain/dpo-loss.ts';
import { groupAdvantages, grpoLoss, grpoTerms, klEstimate, type GrpoLossOptions } from '../../../ml/posttrain/grpo.ts';
import { sequenceLogprobs, tokenLogprobs } from '../../../ml/posttrain/logprobs.ts';
import { extractAnswer, verifyAnswer } from '../../../ml/posttrain/verifier.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

const GRPO: GrpoLossOptions = { beta: 0.05, clipLower: 0.2, clipHigher: 0.272, klEstimator: 'k3' };
const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

describe('DPO', () => {
  // 3 pairs; rows 0..2 chosen, 3..5 rejected; T = 4 positions, the first a prompt token.
  const B = 3;
  const T = 4;
  const V = 5;
  const pairs = (): { targets: tf.Tensor2D; mask: tf.Tensor2D } => ({
    targets: tf.tensor2d([[1, 2, 3, 4], [0, 1, 1, 2], [4, 4, 0, 3], [2, 2, 1, 0], [3, 0, 4, 1], [1, 3, 3, 2]], [2 * B, T], 'int32'),
    mask: tf.tensor2d([[0, 1, 1, 1], [0, 1, 1, 0], [0, 1, 1, 1], [0, 1, 1, 1], [0, 1, 0, 0], [0, 1, 1, 1]]),
  });

  for (const lossType of ['dpo', 'dpo_norm'] as const satisfies readonly DpoLossType[]) {
    it(`${lossType}: loss is log 2 at πθ = π_ref, and SGD on it grows the margin`, async () => {
      const { targets, mask } = pairs();
      const init = tf.randomNormal([2 * B, T, V], 0, 1, 'float32', 7);
      const logits = tf.variable(init.clone());
      const reduction = logprobReduction(lossType);
      const seq = (): tf.Tensor1D => sequenceLogprobs(tokenLogprobs(logits as tf.Tensor3D, targets), mask, reduction);
      const ref = seq();
      const referenceChosen = tf.slice(ref, 0, B);
      const referenceRejected = tf.slice(ref, B, B);
      const o = { ...DPO_DEFAULTS['open-instruct'], lossType, beta: lossType === 'dpo' ? 0.1 : 5, labelSmoothing: 0.1 };
      const batch = () => {
        const s = seq();
        return { policyChosen: tf.slice(s, 0, B), policyRejected: tf.slice(s, B, B), referenceChosen, referenceRejected };
      };
      const metrics = async () => {
        const b = tf.tidy(batch);
        try {
          return await dpoMetrics(b, o);
        } finally {
          tf.dispose([b.policyChosen, b.policyRejected]);
        }
      };
      const m0 = await metrics();
      expect(m0.loss).toBeCloseTo(Math.log(2), 6);
      expect(m0.rewardMargin).toBe(0);
      expect(m0.accuracy).toBe(0);
      const margins = [m0.rewardMargin];
      for (let step = 0; step < 5; step++) {
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => dpoLoss(batch(), o), [logits]);
          for (const g of Object.values(grads)) expect(values(g).every(Number.isFinite)).toBe(true);
          logits.assign(tf.sub(logits, tf.mul(grads[logits.name]!, 0.2 / o.beta)));
        });
        margins.push((await metrics()).rewardMargin);
      }
      for (let i = 1; i < margins.length; i++) expect(margins[i]!).toBeGreaterThan(margins[i - 1]!);
      const last = await metrics();
      expect(last.loss).toBeLessThan(Math.log(2));
      expect(last.accuracy).toBe(1);
      tf.dispose([init, logits, ref, referenceChosen, referenceRejected, targets, mask]);
    });
  }

  it('simpo: −(1−ε)·log σ(β(Δ − γ/β)) − ε·log σ(−β(Δ − γ/β)) on averaged log-probs, no reference', async () => {
    const o = { lossType: 'simpo' as const, beta: 2, labelSmoothing: 0.1, gammaBetaRatio: 0.3 };
    const lp = { policyChosen: tf.tensor1d([-1, -0.5]), policyRejected: tf.tensor1d([-2, -0.4]) };
    const logSig = (x: number): number => -Math.log1p(Math.exp(-x));
    const expected = [0.7, -0.4].map((d) => -(0.9 * logSig(2 * d)) - 0.1 * logSig(-2 * d));
    const m = await dpoMetrics(lp, o);
    expect(m.loss).toBeCloseTo((expected[0]! + expected[1]!) / 2, 6);
    expect(m.chosenReward).toBeCloseTo(2 * -0.75, 6); // β·log πθ
    expect(m.accuracy).toBe(0.5);
  });

  it('dpo without reference log-probs is refused; options default to open-instruct', () => {
    expect(() => dpoLoss({ policyChosen: tf.tensor1d([-1]), policyRejected: tf.tensor1d([-2]) }, DPO_DEFAULTS['dpo-paper'])).toThrow(
      /lossType dpo needs reference log-probs/,
    );
    expect(dpoOptionsSchema.parse({})).toEqual(DPO_DEFAULTS['open-instruct']);
    expect(dpoOptionsSchema.safeParse({ lossType: 'ipo' }).success).toBe(false);
  });

  it('has finite gradients at extreme log-prob differences', () => {
    const pc = tf.tensor1d([-1e4, 0]);
    const pr = tf.tensor1d([0, -1e4]);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      dpoLoss({ policyChosen: a as tf.Tensor1D, policyRejected: b as tf.Tensor1D, referenceChosen: tf.zeros([2]), referenceRejected: tf.zeros([2]) }, DPO_DEFAULTS['open-instruct']),
    )([pc, pr]);
    for (const t of g) expect(values(t).every(Number.isFinite)).toBe(true);
  });
});

describe('GRPO group advantages', () => {
  it('centers or standardizes per group and drops the groups whose rewards all agree', () => {
    const rewards = [10, 0, 0, 0, 10, 10, 10, 10, 0, 0, 0, 0, 10, 10, 0, 0];
    const c = groupAdvantages(rewards, 4, 'centered');
    expect(c.keptGroups).toEqual([0, 3]);
    expect(c.keptSamples).toEqual([0, 1, 2, 3, 12, 13, 14, 15]);
    expect(c.fractionKept).toBe(0.5);
    expect(c.advantages).toEqual([7.5, -2.5, -2.5, -2.5, 0, 0, 0, 0, 0, 0, 0, 0, 5, 5, -5, -5]);
    const s = groupAdvantages(rewards, 4, 'standard');
    const std = Math.sqrt((7.5 ** 2 + 3 * 2.5 ** 2) / 4); // population std
    expect(s.advantages[0]).toBeCloseTo(7.5 / (std + 1e-8), 12);
    expect(s.advantages[1]).toBeCloseTo(-2.5 / (std + 1e-8), 12);
    expect(s.advantages[12]).toBeCloseTo(5 / (5 + 1e-8), 12);
    expect(() => groupAdvantages([1, 2, 3], 2, 'centered')).toThrow(/not a whole number of groups of 2/);
  });
});

describe('GRPO loss', () => {
  it('clips only outside [1 − 0.2, 1 + 0.272], in the direction that removes the incentive', () => {
    const ratios = [0.5, 0.9, 1.1, 1.5];
    const old = tf.zeros([2, 4]) as tf.Tensor2D;
    const logprobs = tf.tensor2d([ratios.map(Math.log), ratios.map(Math.log)]);
    const advantages = tf.tensor1d([2, -2]);
    const mask = tf.ones([2, 4]) as tf.Tensor2D;
    const t = grpoTerms({ logprobs, oldLogprobs: old, advantages, mask }, GRPO);
    // A > 0: only ρ above 1.272 is clipped; A < 0: only ρ below 0.8.
    expect(values(t.clipped)).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
    const pg = values(t.pgLoss);
    [-1, -1.8, -2.2, -2 * 1.272, 2 * 0.8, 1.8, 2.2, 3].forEach((e, i) => expect(pg[i]).toBeCloseTo(e, 5));
    // The clipped tokens get no gradient; the others −A·ρ / (token count).
    const [g] = tf.grads((lp: tf.Tensor) => grpoLoss({ logprobs: lp as tf.Tensor2D, oldLogprobs: old, advantages, mask }, { ...GRPO, beta: 0 }))([logprobs]);
    const grad = values(g!);
    [-1, -1.8, -2.2, 0, 0, 1.8, 2.2, 3].forEach((e, i) => expect(grad[i]).toBeCloseTo(e / 8, 5));
  });

  it('k3 is ≥ 0 and 0 at Δ = 0; k1 = Δ, k2 = Δ²/2', () => {
    const delta = tf.linspace(-8, 8, 161);
    const k3 = values(klEstimate(delta, 'k3'));
    expect(k3.every((x) => x >= 0)).toBe(true);
    expect(values(klEstimate(tf.tensor1d([0]), 'k3'))).toEqual([0]);
    expect(values(klEstimate(tf.tensor1d([0.5]), 'k1'))[0]).toBeCloseTo(0.5, 7);
    expect(values(klEstimate(tf.tensor1d([0.5]), 'k2'))[0]).toBeCloseTo(0.125, 7);
    expect(values(klEstimate(tf.tensor1d([0.5]), 'k3'))[0]).toBeCloseTo(Math.expm1(-0.5) + 0.5, 7);
  });

  it('masks non-response tokens and has finite gradients at extreme log-ratios (Δ clamped at ±40)', () => {
    const logprobs = tf.tensor2d([[-0.1, -90, -0.2], [-100, -0.3, -0.05]]);
    const ref = tf.tensor2d([[-80, -0.1, -0.2], [-0.01, -50, -0.05]]);
    const mask = tf.tensor2d([[1, 1, 0], [1, 1, 1]]);
    const b = { oldLogprobs: logprobs, refLogprobs: ref, advantages: tf.tensor1d([1, -1]), mask };
    const [g] = tf.grads((lp: tf.Tensor) => grpoLoss({ ...b, logprobs: lp as tf.Tensor2D }, GRPO))([logprobs]);
    const grad = values(g!);
    expect(grad.every(Number.isFinite)).toBe(true);
    expect(grad[2]).toBe(0);
    expect(values(grpoLoss({ ...b, logprobs }, GRPO)).every(Number.isFinite)).toBe(true);
  });
});

describe('verifier', () => {
  it('extracts the final answer and scores 10 for an exact match', () => {
    expect(verifyAnswer('12 + 30 = 42', '42')).toBe(10);
    expect(verifyAnswer('12 + 30 = 41', '42')).toBe(0);
    expect(extractAnswer('work...\nAnswer: cba\nthanks', 'answer_prefix')).toBe('cba');
    expect(extractAnswer('no answer', 'answer_prefix')).toBeUndefined();
    expect(verifyAnswer('Answer: [1, 2, 3]', '[1, 2, 3]', 'answer_prefix')).toBe(10);
    expect(extractAnswer('#### 7 then #### 9', { regex: '#### (\\d+)' })).toBe('9');
    expect(verifyAnswer('nothing', '9', { regex: '#### (\\d+)' })).toBe(0);
  });
});
