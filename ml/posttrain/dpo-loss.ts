/**
 * The DPO family of preference losses on sequence log-probs, as open-instruct computes them
 * (`open_instruct/dpo_utils.py`: `dpo_loss`, `simpo_loss`, `DPOConfig`; metrics as `dpo_tune_cache.py` logs them).
 *
 *   z = (log πθ(y_w) − log πθ(y_l)) − (log π_ref(y_w) − log π_ref(y_l))      (dpo, dpo_norm)
 *   z = (log πθ(y_w) − log πθ(y_l)) − γ/β                                    (simpo: no reference)
 *   L = mean over pairs of −(1 − ε)·log σ(βz) − ε·log σ(−βz)
 *
 * `dpo` uses summed response log-probs, `dpo_norm` and `simpo` length-averaged ones (see logprobs.ts);
 * label smoothing ε applies to simpo the same way (as in open-instruct). At πθ = π_ref, z = 0 and L = log 2.
 * Rewards are β·(log πθ − log π_ref) (simpo: β·log πθ); accuracy counts chosen reward > rejected reward
 * strictly, so it is 0 at the first step. log σ(x) is written −softplus(−x), whose gradient ml/gradients.ts has.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../gradients.ts';
import type { LogprobReduction } from './logprobs.ts';

export const DPO_LOSS_TYPES = ['dpo', 'dpo_norm', 'simpo'] as const;
export type DpoLossType = (typeof DPO_LOSS_TYPES)[number];

export interface DpoOptions {
  lossType: DpoLossType;
  beta: number;
  /** ε in [0, 0.5). */
  labelSmoothing: number;
  /** SimPO's target margin γ/β (unused by dpo and dpo_norm). */
  gammaBetaRatio: number;
}

/**
 * Defaults by source. `open-instruct`: `DPOConfig` (beta 5.0, loss_type dpo_norm, gamma_beta_ratio 0.3,
 * label_smoothing 0.0), what Braise's `dpo` stage follows. `dpo-paper`: Rafailov et al. 2023 (β = 0.1 on
 * summed log-probs).
 */
export const DPO_DEFAULTS = {
  'open-instruct': { lossType: 'dpo_norm', beta: 5, labelSmoothing: 0, gammaBetaRatio: 0.3 },
  'dpo-paper': { lossType: 'dpo', beta: 0.1, labelSmoothing: 0, gammaBetaRatio: 0.3 },
} as const satisfies Record<string, DpoOptions>;

/** DPO options as a recipe gives them, open-instruct's defaults filled in. */
export const dpoOptionsSchema = z
  .object({
    lossType: z.enum(DPO_LOSS_TYPES).default(DPO_DEFAULTS['open-instruct'].lossType),
    beta: z.number().positive().finite().default(DPO_DEFAULTS['open-instruct'].beta),
    labelSmoothing: z.number().min(0).lt(0.5).default(DPO_DEFAULTS['open-instruct'].labelSmoothing),
    gammaBetaRatio: z.number().finite().default(DPO_DEFAULTS['open-instruct'].gammaBetaRatio),
  })
  .strict();

/** Whether a loss type compares against a frozen reference model (open-instruct `needs_reference_model`). */
export function needsReference(lossType: DpoLossType): boolean {
  return lossType !== 'simpo';
}

/** How the sequence log-probs of a loss type are reduced (open-instruct `is_average_loss`). */
export function logprobReduction(lossType: DpoLossType): LogprobReduction {
  return lossType === 'dpo' ? 'sum' : 'mean';
}

/** Sequence log-probs `[B]` of a batch of pairs; the reference ones are constants (cached once). */
export interface PreferenceLogprobs {
  policyChosen: tf.Tensor1D;
  policyRejected: tf.Tensor1D;
  referenceChosen?: tf.Tensor1D;
  referenceRejected?: tf.Tensor1D;
}

/** Per-pair losses and rewards `[B]` (the caller disposes them, or calls this inside a tf.tidy). */
export function dpoTerms(
  lp: PreferenceLogprobs,
  o: DpoOptions,
): { losses: tf.Tensor1D; chosenRewards: tf.Tensor1D; rejectedRewards: tf.Tensor1D } {
  return tf.tidy(() => {
    let logits = tf.sub(lp.policyChosen, lp.policyRejected);
    let chosenRewards: tf.Tensor = tf.mul(lp.policyChosen, o.beta);
    let rejectedRewards: tf.Tensor = tf.mul(lp.policyRejected, o.beta);
    if (needsReference(o.lossType)) {
      const { referenceChosen: rc, referenceRejected: rr } = lp;
      if (rc === undefined || rr === undefined) throw new Error(`dpo: lossType ${o.lossType} needs reference log-probs`);
      logits = tf.sub(logits, tf.sub(rc, rr));
      chosenRewards = tf.mul(tf.sub(lp.policyChosen, rc), o.beta);
      rejectedRewards = tf.mul(tf.sub(lp.policyRejected, rr), o.beta);
    } else {
      logits = tf.sub(logits, o.gammaBetaRatio);
    }
    const scaled = tf.mul(logits, o.beta);
    // −log σ(x) = softplus(−x)
    const losses = tf.add(
      tf.mul(tf.softplus(tf.neg(scaled)), 1 - o.labelSmoothing),
      tf.mul(tf.softplus(scaled), o.labelSmoothing),
    );
    return {
      losses: losses as tf.Tensor1D,
      chosenRewards: chosenRewards as tf.Tensor1D,
      rejectedRewards: rejectedRewards as tf.Tensor1D,
    };
  });
}

/** The batch loss (mean over pairs), differentiable w.r.t. the policy log-probs. */
export function dpoLoss(lp: PreferenceLogprobs, o: DpoOptions): tf.Scalar {
  return tf.tidy(() => tf.mean(dpoTerms(lp, o).losses));
}

/** What the `dpo` stage records per batch. */
export interface DpoMetrics {
  loss: number;
  chosenReward: number;
  rejectedReward: number;
  /** mean(chosen reward − rejected reward), = β·z averaged for dpo and dpo_norm. */
  rewardMargin: number;
  /** Fraction of pairs whose chosen reward is strictly above the rejected one. */
  accuracy: number;
}

export async function dpoMetrics(lp: PreferenceLogprobs, o: DpoOptions): Promise<DpoMetrics> {
  const t = tf.tidy(() => {
    const { losses, chosenRewards, rejectedRewards } = dpoTerms(lp, o);
    return tf.stack([
      tf.mean(losses),
      tf.mean(chosenRewards),
      tf.mean(rejectedRewards),
      tf.mean(tf.sub(chosenRewards, rejectedRewards)),
      tf.mean(tf.cast(tf.greater(chosenRewards, rejectedRewards), 'float32')),
    ]);
  });
  try {
    const [loss, chosenReward, rejectedReward, rewardMargin, accuracy] = await t.data();
    return { loss: loss!, chosenReward: chosenReward!, rejectedReward: rejectedReward!, rewardMargin: rewardMargin!, accuracy: accuracy! };
  } finally {
    t.dispose();
  }
}
