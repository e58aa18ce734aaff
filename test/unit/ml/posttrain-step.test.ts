/**
 * The post-training losses inside the trainer's real update (ml/train-step.ts applyUpdate: tf.variableGrads,
 * global-norm clipping, AdamW) on a tiny GPT, on WASM, the trainer's default backend: DPO starts at log 2 and
 * its margin grows over a few steps; a GRPO step gives a finite loss and gradient norm; no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../ml/backend.ts';
import { createModel, forward, type GptModel, type ModelConfig } from '../../../ml/gpt.ts';
import { AdamW } from '../../../ml/optim.ts';
import { DPO_DEFAULTS, dpoLoss, dpoMetrics, logprobReduction } from '../../../ml/posttrain/dpo-loss.ts';
import { GRPO_DEFAULTS, groupAdvantages, grpoLoss } from '../../../ml/posttrain/grpo.ts';
import { modelSequenceLogprobs, tokenLogprobs } from '../../../ml/posttrain/logprobs.ts';
import { applyUpdate } from '../../../ml/train-step.ts';

const config: ModelConfig = { arch: 'gpt', layers: 1, dModel: 16, heads: 2, context: 8, tokenizer: 'byte' };
let model: GptModel;

beforeAll(async () => {
  await selectBackend('wasm');
  model = createModel(config, 11);
});
afterAll(() => model.dispose());

const bytes = (s: string): number[] => [...Buffer.from(s)];
/** inputs/targets `[B, 7]` and a response mask (response = everything after the 3-byte prompt). */
function batch(texts: string[]): { inputs: tf.Tensor2D; targets: tf.Tensor2D; mask: tf.Tensor2D } {
  const rows = texts.map((t) => bytes(t.padEnd(8, ' ')).slice(0, 8));
  return {
    inputs: tf.tensor2d(rows.map((r) => r.slice(0, 7)), undefined, 'int32'),
    targets: tf.tensor2d(rows.map((r) => r.slice(1)), undefined, 'int32'),
    mask: tf.tensor2d(rows.map(() => [0, 0, 1, 1, 1, 1, 1])),
  };
}

describe('post-training losses in the trainer step', () => {
  it('dpo_norm at β = 5: log 2 at the first step, then the margin grows', async () => {
    const o = DPO_DEFAULTS['open-instruct'];
    const reduction = logprobReduction(o.lossType);
    const chosen = batch(['1+2=3', '2+2=4']);
    const rejected = batch(['1+2=5', '2+2=7']);
    const seq = (b: typeof chosen): tf.Tensor1D => modelSequenceLogprobs(model, b.inputs, b.targets, b.mask, reduction);
    const referenceChosen = seq(chosen);
    const referenceRejected = seq(rejected);
    const pairs = () => ({ policyChosen: seq(chosen), policyRejected: seq(rejected), referenceChosen, referenceRejected });
    const opt = new AdamW(model.params);
    const before = tf.memory().numTensors;
    const margins: number[] = [];
    for (let step = 0; step < 6; step++) {
      const { loss, norm } = tf.tidy(() => applyUpdate(model, opt, () => dpoLoss(pairs(), o), { lr: 3e-3, gradClip: 1 }));
      const [l, n] = [(await loss.data())[0]!, (await norm.data())[0]!];
      tf.dispose([loss, norm]);
      if (step === 0) expect(l).toBeCloseTo(Math.log(2), 5);
      expect(Number.isFinite(n) && n > 0).toBe(true);
      const p = tf.tidy(pairs);
      margins.push((await dpoMetrics(p, o)).rewardMargin);
      tf.dispose([p.policyChosen, p.policyRejected]);
    }
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 2 * model.params.size + 1); // AdamW's m and v, its step
    for (let i = 1; i < margins.length; i++) expect(margins[i]!).toBeGreaterThan(margins[i - 1]!);
    tf.dispose([referenceChosen, referenceRejected]);
  });

  it('grpo: one step on a group with a correct and wrong answers is finite', async () => {
    const b = batch(['1+2=3', '1+2=4', '1+2=5', '1+2=3']);
    const { advantages } = groupAdvantages([10, 0, 0, 10], 4, GRPO_DEFAULTS.advantages);
    const old = tf.tidy(() => tokenLogprobs(forward(model, b.inputs), b.targets));
    const ref = tf.tidy(() => tf.sub(old, 0.1) as tf.Tensor2D);
    const adv = tf.tensor1d(advantages);
    const opt = new AdamW(model.params);
    const { loss, norm } = tf.tidy(() =>
      applyUpdate(
        model,
        opt,
        () => grpoLoss({ logprobs: tokenLogprobs(forward(model, b.inputs), b.targets), oldLogprobs: old, refLogprobs: ref, advantages: adv, mask: b.mask }, { ...GRPO_DEFAULTS }),
        { lr: 1e-3, gradClip: 1 },
      ),
    );
    const l = (await loss.data())[0]!;
    // At ρ = 1 the policy term is −mean(A) = 0 over the group; KL(k3) at Δ = 0.1 is expm1(−0.1) + 0.1.
    expect(l).toBeCloseTo(0.05 * (Math.expm1(-0.1) + 0.1), 4);
    expect((await norm.data())[0]!).toBeGreaterThan(0);
    tf.dispose([loss, norm, old, ref, adv]);
  });
});
