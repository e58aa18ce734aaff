import * as tf from '@tensorflow/tfjs-core';
import { forward, type GptModel } from './gpt.ts';
import { crossEntropy } from './layers.ts';

/**
 * Per-token negative log-likelihood (nats) `[B, T]` of int32 `targets` `[B, T]` under `logits`
 * `[B, T, V]`. Uses a one-hot product rather than gather so it is differentiable on WASM.
 */
export function tokenNll(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Tensor2D {
  const [B, T, V] = logits.shape;
  return tf.tidy(() => {
    const nll = crossEntropy(tf.reshape(logits, [B * T, V]), tf.reshape(targets, [B * T]));
    return tf.reshape(nll, [B, T]);
  });
}

/**
 * Mean next-token cross-entropy (nats) of `model` predicting `targets` from `inputs` (both int32
 * `[B, T]`). With `weights` (float `[B, T]`, e.g. a 0/1 response mask) it is Σ w·nll / Σ w; a batch
 * whose weights are all zero gives 0 rather than NaN.
 */
export function lossFn(
  model: GptModel,
  inputs: tf.Tensor2D,
  targets: tf.Tensor2D,
  weights?: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const nll = tokenNll(forward(model, inputs), targets);
    if (weights === undefined) return tf.mean(nll);
    return tf.div(tf.sum(tf.mul(nll, weights)), tf.maximum(tf.sum(weights), 1e-8));
  });
}

/**
 * Per-row summed NLL (nats, `[B]`) and per-row token count (`[B]`, Σ weights, or T without weights).
 * This is what evaluation (bits per byte) and preference losses (sequence log-likelihoods) need.
 * The caller disposes both tensors.
 */
export function sequenceNll(
  model: GptModel,
  inputs: tf.Tensor2D,
  targets: tf.Tensor2D,
  weights?: tf.Tensor2D,
): { nll: tf.Tensor1D; count: tf.Tensor1D } {
  return tf.tidy(() => {
    const nll = tokenNll(forward(model, inputs), targets);
    const w = weights ?? tf.onesLike(nll);
    return { nll: tf.sum(tf.mul(nll, w), -1) as tf.Tensor1D, count: tf.sum(w, -1) as tf.Tensor1D };
  });
}
