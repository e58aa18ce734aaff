import * as tf from '@tensorflow/tfjs-core';
import type { GptModel } from './gpt.ts';
import { lossFn } from './loss.ts';
import { clipByGlobalNorm, type AdamW } from './optim.ts';

/** Hyper-parameters of one update. */
export interface StepOptions {
  lr: number;
  /** Max global gradient norm; ≤ 0 disables clipping. */
  gradClip: number;
  /** Optional per-token loss weights `[B, T]` (e.g. an SFT response mask). */
  weights?: tf.Tensor2D;
}

/**
 * One optimizer update on a batch: loss, gradients of every parameter, global-norm clipping, AdamW.
 * Returns the batch loss (before the update) and the pre-clip gradient norm as numbers. Allocates no
 * tensor that outlives the call, so `tf.memory().numTensors` stays flat across steps.
 */
export async function trainStep(
  model: GptModel,
  opt: AdamW,
  inputs: tf.Tensor2D,
  targets: tf.Tensor2D,
  o: StepOptions,
): Promise<{ loss: number; gradNorm: number }> {
  const { loss, norm } = tf.tidy(() => applyUpdate(model, opt, () => lossFn(model, inputs, targets, o.weights), o));
  try {
    const [l, n] = await Promise.all([loss.data(), norm.data()]);
    return { loss: l[0]!, gradNorm: n[0]! };
  } finally {
    loss.dispose();
    norm.dispose();
  }
}

/**
 * The update itself, for use inside a `tf.tidy`: gradients of `lossOf` for every parameter, global-norm
 * clipping, AdamW. Returns the loss (before the update) and the pre-clip gradient norm as tensors.
 */
export function applyUpdate(model: GptModel, opt: AdamW, lossOf: () => tf.Scalar, o: Pick<StepOptions, 'lr' | 'gradClip'>): { loss: tf.Scalar; norm: tf.Scalar } {
  const byVarName = new Map([...model.params].map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(lossOf, [...model.params.values()]);
  const named: Record<string, tf.Tensor> = {};
  for (const [varName, g] of Object.entries(grads)) named[byVarName.get(varName)!] = g;
  const clipped = clipByGlobalNorm(named, o.gradClip);
  opt.apply(clipped.grads, o.lr);
  return { loss: value, norm: clipped.norm };
}
