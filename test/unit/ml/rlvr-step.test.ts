/**
 * One RLVR step's assembly (ml/posttrain/rollout.ts) and its update (ml/trainer/rlvr.ts grpoUpdate): the
 * rollout is the prompt, the completion and the EOS it stopped on; the batch's mask covers exactly the
 * response; a step's prompts walk the epoch orders; rewards, accuracy and group advantages come from the
 * verifier with zero-std groups dropped; an update raises the rewarded completion's log-prob, and by more than
 * the other's, and a step whose groups are all dropped leaves the weights as they were.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../ml/backend.ts';
import { createModel, readWeights, type GptModel, type ModelConfig } from '../../../ml/gpt.ts';
import { AdamW } from '../../../ml/optim.ts';
import { GRPO_DEFAULTS } from '../../../ml/posttrain/grpo.ts';
import { tokenLogprobs } from '../../../ml/posttrain/logprobs.ts';
import { rolloutBatch, rolloutOf, scoreStep, stepPrompts, type Rollout } from '../../../ml/posttrain/rollout.ts';
import { grpoUpdate } from '../../../ml/trainer/rlvr.ts';
import { forward } from '../../../ml/gpt.ts';

const EOS = 256;
const bytes = (s: string): number[] => [...Buffer.from(s)];

describe('rollouts', () => {
  it('is the prompt, the completion and the EOS it stopped on; one cut at maxNewTokens has no EOS', () => {
    expect(rolloutOf([1, 2], [3], EOS, 4, 100)).toEqual({ tokens: [1, 2, 3, EOS], responseStart: 2 });
    expect(rolloutOf([1, 2], [3, 4, 5, 6], EOS, 4, 100)).toEqual({ tokens: [1, 2, 3, 4, 5, 6], responseStart: 2 });
    expect(rolloutOf([1, 2], [3, 4, 5], EOS, 4, 4)).toEqual({ tokens: [1, 2, 3, 4], responseStart: 2 });
  });

  it('batches them shifted, right-padded, the mask on response targets only', () => {
    const b = rolloutBatch([rolloutOf([1, 2], [3], EOS, 4, 100), rolloutOf([7], [8, 9], EOS, 4, 100)], EOS);
    expect(b.length).toBe(3);
    expect([...b.inputs]).toEqual([1, 2, 3, 7, 8, 9]);
    expect([...b.targets]).toEqual([2, 3, EOS, 8, 9, EOS]);
    expect([...b.mask]).toEqual([0, 1, 1, 1, 1, 1]);
    expect(b.tokens).toBe(5);
  });

  it("walks the epochs' orders, perStep prompts a step", () => {
    const orders = [[2, 0, 1], [1, 2, 0]];
    const rowAt = (k: number) => orders[Math.floor(k / 3)]![k % 3]!;
    expect(stepPrompts(0, 2, rowAt)).toEqual([2, 0]);
    expect(stepPrompts(1, 2, rowAt)).toEqual([1, 1]);
    expect(stepPrompts(2, 2, rowAt)).toEqual([2, 0]);
  });

  it('scores by the extracted final answer and drops the groups whose rewards agree', () => {
    const texts = ['7', 'it is 7', '8', '12', '3', '3', '3', '3'];
    const rollouts: Rollout[] = texts.map((t) => rolloutOf([1], bytes(t), EOS, 16, 100));
    const s = scoreStep(texts, ['7', '4'], rollouts, { samplesPerPrompt: 4, advantage: 'centered', extraction: 'last_number', reward: 10 });
    expect(s.rewards).toEqual([10, 10, 0, 0, 0, 0, 0, 0]);
    expect(s.meanReward).toBe(2.5);
    expect(s.accuracy).toBe(0.25);
    expect(s.keptGroups).toEqual([0]);
    expect(s.fractionKept).toBe(0.5);
    expect(s.advantages).toEqual([5, 5, -5, -5, 0, 0, 0, 0]);
    expect(s.responseLength).toBe((2 + 8 + 2 + 3 + 2 * 4) / 8);
  });
});

describe('grpoUpdate', () => {
  const config: ModelConfig = { arch: 'gpt', layers: 1, dModel: 16, heads: 2, context: 16, tokenizer: 'byte' };
  let model: GptModel;
  let reference: GptModel;
  beforeAll(async () => {
    await selectBackend('wasm');
    model = createModel(config, 3);
    reference = createModel(config, 3);
  });
  afterAll(() => {
    model.dispose();
    reference.dispose();
  });
  const o = { beta: GRPO_DEFAULTS.beta, clipLower: GRPO_DEFAULTS.clipLower, clipHigher: GRPO_DEFAULTS.clipHigher, klEstimator: GRPO_DEFAULTS.klEstimator };
  const prompt = bytes('2+1=');
  const good = rolloutOf(prompt, bytes('3'), EOS, 4, 17);
  const bad = rolloutOf(prompt, bytes('9'), EOS, 4, 17);
  const logp = async (r: Rollout): Promise<number> => {
    const b = rolloutBatch([r], EOS);
    const t = tf.tidy(() => tf.sum(tf.mul(tokenLogprobs(forward(model, tf.tensor2d(b.inputs, [1, b.length], 'int32')), tf.tensor2d(b.targets, [1, b.length], 'int32')), tf.tensor2d(b.mask, [1, b.length]))));
    const v = (await t.data())[0]!;
    t.dispose();
    return v;
  };

  it('raises the log-prob of the rewarded completion, and more than the other\'s', async () => {
    const rollouts = [good, bad, good, bad];
    const scored = scoreStep(['3', '9', '3', '9'], ['3'], rollouts, { samplesPerPrompt: 4, advantage: 'centered', extraction: 'last_number', reward: 10 });
    const before = [await logp(good), await logp(bad)];
    const opt = new AdamW(model.params);
    const out = await grpoUpdate(model, reference, opt, rollouts, scored, { temperature: 1, klEstimator: 'k3' }, o, { lr: 1e-2, gradClip: 1 }, EOS);
    expect(out.kl).toBeCloseTo(0, 6); // the policy is still the reference when it samples
    expect(out.loss).toBeCloseTo(0, 5); // Σ −A·ρ over a centered group at ρ = 1, and KL 0
    expect(out.tokens).toBe(8);
    const after = [await logp(good), await logp(bad)];
    expect(after[0]!).toBeGreaterThan(before[0]!);
    expect(after[0]! - after[1]!).toBeGreaterThan(before[0]! - before[1]! + 0.01);
    opt.dispose();
  });

  it('makes no update when every group is dropped, and reports the KL to the reference', async () => {
    const rollouts = [good, good, good, good];
    const scored = scoreStep(['3', '3', '3', '3'], ['3'], rollouts, { samplesPerPrompt: 4, advantage: 'centered', extraction: 'last_number', reward: 10 });
    expect(scored.keptSamples).toEqual([]);
    const weights = await readWeights(model);
    const opt = new AdamW(model.params);
    const out = await grpoUpdate(model, reference, opt, rollouts, scored, { temperature: 1, klEstimator: 'k3' }, o, { lr: 1e-2, gradClip: 1 }, EOS);
    expect(out).toMatchObject({ loss: 0, tokens: 0 });
    expect(out.kl).toBeGreaterThan(0); // the previous test moved the policy away from the reference
    expect(await readWeights(model)).toEqual(weights);
    opt.dispose();
  });
});
