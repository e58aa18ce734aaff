import * as tf from '@tensorflow/tfjs-core';
import { forward, type GptModel } from '../gpt.ts';
import { tokenNll } from '../loss.ts';
import type { AdamW } from '../optim.ts';
import { applyUpdate, type StepOptions } from '../train-step.ts';

/**
 * {@link trainStep} that also returns each row's summed NLL (nats, before the update), taken from the
 * same forward pass, so per-domain losses cost no second forward. With a frozen `reference` model it
 * also returns each row's sum over its tokens of max(ℓθ − ℓref, 0), DoReMi's per-token excess loss
 * clipped token by token (ℓθ from the same forward pass, ℓref from a forward of the reference on the
 * same tokens, outside the gradient). The loss, the gradients and the update are exactly those of
 * `trainStep` without weights (mean token NLL). Allocates no tensor that outlives the call.
 */
export async function trainStepWithRowNll(
  model: GptModel,
  opt: AdamW,
  inputs: tf.Tensor2D,
  targets: tf.Tensor2D,
  o: Omit<StepOptions, 'weights'>,
  reference?: GptModel,
): Promise<{ loss: number; gradNorm: number; rowNll: Float32Array; rowExcess?: Float32Array }> {
  let rows: tf.Tensor | undefined;
  let excess: tf.Tensor | undefined;
  const refNll = reference === undefined ? undefined : tf.tidy(() => tokenNll(forward(reference, inputs), targets));
  try {
    const { loss, norm } = tf.tidy(() =>
      applyUpdate(model, opt, () => {
        const nll = tokenNll(forward(model, inputs), targets);
        // Kept past the tidy scopes: read below, then disposed. Off the path to the loss, so the
        // backward pass ignores them.
        rows = tf.keep(tf.sum(nll, -1));
        if (refNll !== undefined) excess = tf.keep(tf.sum(tf.relu(tf.sub(nll, refNll)), -1));
        return tf.mean(nll) as tf.Scalar;
      }, o),
    );
    try {
      const [l, n, r, e] = await Promise.all([loss.data(), norm.data(), rows!.data(), excess?.data()]);
      return { loss: l[0]!, gradNorm: n[0]!, rowNll: Float32Array.from(r), ...(e !== undefined ? { rowExcess: Float32Array.from(e) } : {}) };
    } finally {
      loss.dispose();
      norm.dispose();
    }
  } finally {
    rows?.dispose();
    excess?.dispose();
    refNll?.dispose();
  }
}
