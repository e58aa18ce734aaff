/**
 * Braise's post-training losses against open-instruct's formulas (test/fixtures/goldens/open-instruct/losses.json,
 * written by scripts/goldens/open_instruct_losses.py: open-instruct's dpo_utils / grpo_utils / rl_utils /
 * data_loader / ground_truth_utils functions re-written line by line in PyTorch, float64). Values and gradients
 * w.r.t. the log-probs (and the logits, for sequence log-probs) must agree to ~1e-5 (Braise computes in float32).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { selectBackend } from '../../../ml/backend.ts';
import { DPO_LOSS_TYPES, dpoLoss, dpoMetrics, dpoTerms } from '../../../ml/posttrain/dpo-loss.ts';
import { groupAdvantages, grpoLoss, grpoMetrics, grpoTerms, KL_ESTIMATORS } from '../../../ml/posttrain/grpo.ts';
import { sequenceLogprobs, tokenLogprobs } from '../../../ml/posttrain/logprobs.ts';
import { verifyAnswer } from '../../../ml/posttrain/verifier.ts';

const FIXTURE = new URL('../../fixtures/goldens/open-instruct/losses.json', import.meta.url);
const vec = z.array(z.number());
const mat = z.array(vec);
const fixtureSchema = z.object({
  source: z.string(),
  logprobs: z.object({
    logits: z.array(mat),
    targets: mat,
    mask: mat,
    weights: vec,
    sum: vec,
    mean: vec,
    sumGradLogits: z.array(mat),
    meanGradLogits: z.array(mat),
  }),
  dpo: z.array(
    z.object({
      name: z.string(),
      lossType: z.enum(DPO_LOSS_TYPES),
      beta: z.number(),
      labelSmoothing: z.number(),
      gammaBetaRatio: z.number(),
      policyChosen: vec,
      policyRejected: vec,
      referenceChosen: vec,
      referenceRejected: vec,
      losses: vec,
      chosenRewards: vec,
      rejectedRewards: vec,
      loss: z.number(),
      accuracy: z.number(),
      rewardMargin: z.number(),
      gradPolicyChosen: vec,
      gradPolicyRejected: vec,
    }),
  ),
  advantages: z.array(
    z.object({ normalization: z.enum(['centered', 'standard']), groupSize: z.number().int(), scores: vec, advantages: vec, keptGroups: z.array(z.number().int()) }),
  ),
  grpo: z.array(
    z.object({
      name: z.string(),
      klEstimator: z.enum(KL_ESTIMATORS),
      beta: z.number(),
      useReference: z.boolean(),
      logprobs: mat,
      oldLogprobs: mat,
      refLogprobs: mat,
      advantages: vec,
      mask: mat,
      pgLoss: mat,
      kl: mat,
      clipped: mat,
      loss: z.number(),
      klMean: z.number(),
      gradLogprobs: mat,
    }),
  ),
  verifier: z.array(z.object({ prediction: z.string(), label: z.string(), score: z.number() })),
});
const golden = fixtureSchema.parse(JSON.parse(readFileSync(FIXTURE, 'utf8')));

beforeAll(async () => {
  await selectBackend('cpu');
});

function expectClose(actual: tf.Tensor | number, expected: number[] | number, what: string): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual.dataSync());
  const e = typeof expected === 'number' ? [expected] : expected;
  expect(a.length, what).toBe(e.length);
  a.forEach((x, i) => expect(Math.abs(x - e[i]!), `${what}[${i}]: ${x} vs ${e[i]}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(e[i]!))));
}

describe(`sequence log-probs vs open-instruct (${golden.source})`, () => {
  for (const reduction of ['sum', 'mean'] as const) {
    it(`${reduction}: values and gradient w.r.t. the logits`, () => {
      const g = golden.logprobs;
      const logits = tf.tensor3d(g.logits);
      const targets = tf.tensor2d(g.targets, undefined, 'int32');
      const mask = tf.tensor2d(g.mask);
      const weights = tf.tensor1d(g.weights);
      const f = (x: tf.Tensor): tf.Tensor1D => sequenceLogprobs(tokenLogprobs(x as tf.Tensor3D, targets), mask, reduction);
      expectClose(f(logits), g[reduction], reduction);
      const [grad] = tf.grads((x: tf.Tensor) => tf.sum(tf.mul(f(x), weights)))([logits]);
      expectClose(grad!, (reduction === 'sum' ? g.sumGradLogits : g.meanGradLogits).flat(2), `${reduction} grad`);
    });
  }
});

describe('DPO losses vs open-instruct dpo_utils.dpo_loss / simpo_loss', () => {
  for (const c of golden.dpo) {
    it(c.name, async () => {
      const o = { lossType: c.lossType, beta: c.beta, labelSmoothing: c.labelSmoothing, gammaBetaRatio: c.gammaBetaRatio };
      const ref = { referenceChosen: tf.tensor1d(c.referenceChosen), referenceRejected: tf.tensor1d(c.referenceRejected) };
      const lp = { policyChosen: tf.tensor1d(c.policyChosen), policyRejected: tf.tensor1d(c.policyRejected), ...ref };
      const t = dpoTerms(lp, o);
      expectClose(t.losses, c.losses, 'losses');
      expectClose(t.chosenRewards, c.chosenRewards, 'chosen rewards');
      expectClose(t.rejectedRewards, c.rejectedRewards, 'rejected rewards');
      const m = await dpoMetrics(lp, o);
      expectClose(m.loss, c.loss, 'loss');
      expectClose(m.rewardMargin, c.rewardMargin, 'margin');
      expect(m.accuracy).toBe(c.accuracy);
      const [gc, gr] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        dpoLoss({ policyChosen: a as tf.Tensor1D, policyRejected: b as tf.Tensor1D, ...ref }, o),
      )([lp.policyChosen, lp.policyRejected]);
      expectClose(gc!, c.gradPolicyChosen, 'grad chosen');
      expectClose(gr!, c.gradPolicyRejected, 'grad rejected');
    });
  }
});

describe('GRPO vs open-instruct data_loader advantages and grpo_utils.compute_grpo_loss + masked_mean', () => {
  for (const c of golden.advantages) {
    it(`${c.normalization} advantages, zero-std groups dropped`, () => {
      const a = groupAdvantages(c.scores, c.groupSize, c.normalization);
      expect(a.keptGroups).toEqual(c.keptGroups);
      a.advantages.forEach((x, i) => expect(x).toBeCloseTo(c.advantages[i]!, 12));
    });
  }
  for (const c of golden.grpo) {
    it(c.name, async () => {
      const o = { beta: c.beta, clipLower: 0.2, clipHigher: 0.272, klEstimator: c.klEstimator };
      const logprobs = tf.tensor2d(c.logprobs);
      const rest = {
        oldLogprobs: tf.tensor2d(c.oldLogprobs),
        ...(c.useReference ? { refLogprobs: tf.tensor2d(c.refLogprobs) } : {}),
        advantages: tf.tensor1d(c.advantages),
        mask: tf.tensor2d(c.mask),
      };
      const t = grpoTerms({ logprobs, ...rest }, o);
      expectClose(t.pgLoss, c.pgLoss.flat(), 'pg loss');
      expectClose(t.kl, c.kl.flat(), 'kl');
      expect(Array.from(t.clipped.dataSync())).toEqual(c.clipped.flat());
      const m = await grpoMetrics({ logprobs, ...rest }, o);
      expectClose(m.loss, c.loss, 'loss');
      expectClose(m.kl, c.klMean, 'kl mean');
      const [g] = tf.grads((x: tf.Tensor) => grpoLoss({ logprobs: x as tf.Tensor2D, ...rest }, o))([logprobs]);
      expectClose(g!, c.gradLogprobs.flat(), 'grad');
    });
  }
});

describe('verifier vs open-instruct ground_truth_utils.GSM8KVerifier (× verification_reward 10)', () => {
  it('scores every fixture row the same', () => {
    for (const r of golden.verifier) expect(verifyAnswer(r.prediction, r.label), JSON.stringify(r)).toBe(r.score);
  });
});
