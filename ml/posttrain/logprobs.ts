/**
 * Sequence log-likelihoods of responses, the quantity every preference and RL loss starts from.
 *
 * Braise's batches are already shifted (`targets[:, t]` is the token `logits[:, t]` predicts), so the
 * per-token log-prob is −NLL from ml/loss.ts, and a response mask `[B, T]` (1 on response tokens) plays the
 * role of open-instruct's `labels != -100`. Reductions follow open-instruct `dpo_utils._get_batch_logps`:
 * `sum` is Σ mask·logp; `mean` divides by the response length clamped to ≥ 1 (an empty response gives 0).
 * Everything is differentiable with the gradients in ml/gradients.ts, for use inside tf.variableGrads.
 */
import * as tf from '@tensorflow/tfjs-core';
import { forward, type GptModel } from '../gpt.ts';
import { tokenNll } from '../loss.ts';

/**
 * A shifted batch with its response mask, as DPO's pairs (./preference.ts) and RLVR's rollouts (./rollout.ts) pack
 * them: `inputs[r, t]` predicts `targets[r, t]`; `mask` is 1 where that target is a response token.
 */
export interface MaskedBatch {
  inputs: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
  rows: number;
  length: number;
  /** Response tokens in the batch (Σ mask). */
  tokens: number;
}

/** The batch's tensors, `[rows, length]` each (the caller disposes them). */
export function maskedBatchTensors(batch: MaskedBatch): { inputs: tf.Tensor2D; targets: tf.Tensor2D; mask: tf.Tensor2D } {
  const shape: [number, number] = [batch.rows, batch.length];
  return { inputs: tf.tensor2d(batch.inputs, shape, 'int32'), targets: tf.tensor2d(batch.targets, shape, 'int32'), mask: tf.tensor2d(batch.mask, shape) };
}

/** `sum` for `dpo`; `mean` (length-normalized) for `dpo_norm` and `simpo`. */
export type LogprobReduction = 'sum' | 'mean';

/** log π(targets[b, t] | prefix) `[B, T]` from logits `[B, T, V]` and int32 targets `[B, T]`. */
export function tokenLogprobs(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.neg(tokenNll(logits, targets)));
}

/** Per-row Σ mask·logp (`sum`) or that divided by max(Σ mask, 1) (`mean`), `[B]`. */
export function sequenceLogprobs(tokenLogps: tf.Tensor2D, mask: tf.Tensor2D, reduction: LogprobReduction): tf.Tensor1D {
  return tf.tidy(() => {
    const summed = tf.sum(tf.mul(tokenLogps, mask), -1) as tf.Tensor1D;
    if (reduction === 'sum') return summed;
    return tf.div(summed, tf.maximum(tf.sum(mask, -1), 1)) as tf.Tensor1D;
  });
}

/** {@link sequenceLogprobs} of `model` on one batch (inputs/targets int32 `[B, T]`, mask float `[B, T]`). */
export function modelSequenceLogprobs(
  model: GptModel,
  inputs: tf.Tensor2D,
  targets: tf.Tensor2D,
  mask: tf.Tensor2D,
  reduction: LogprobReduction,
): tf.Tensor1D {
  return tf.tidy(() => sequenceLogprobs(tokenLogprobs(forward(model, inputs), targets), mask, reduction));
}
