/**
 * GRPO's pieces as open-instruct computes them, for the `rlvr` stage:
 * - group advantages: `open_instruct/data_loader.py` (scores reshaped per prompt; `centered` r − mean, the
 *   default, or `standard` (r − mean)/(std + 1e-8) with numpy's population std), and groups whose rewards all
 *   agree dropped (`filter_zero_std_samples`, default on);
 * - the per-token loss: `grpo_utils.compute_grpo_loss` with loss_fn `dapo` (the default):
 *   ρ = exp(logπθ − logπ_old), max(−A·ρ, −A·clip(ρ, 1 − clip_lower, 1 + clip_higher)) + β·KL, where
 *   Δ = clamp(logπθ − logπ_ref, ±40) and KL is one of `model_utils.estimate_kl`'s estimators: open-instruct's
 *   index 0 = Δ (k1), 1 = Δ²/2 (k2), 2 = expm1(−Δ) + Δ (k3, its default `kl_estimator = 2`);
 * - the reduction: `rl_utils.masked_mean` with `loss_denominator = "token"` (grpo_fast.py): Σ over every
 *   response token of the batch divided by the batch's response-token count, not a mean of per-sequence means.
 * Braise samples and trains with one engine, so open-instruct's train/inference ratio correction (`use_rho_correction`)
 * is the identity here and is left out. Tensors are `[B, T]` with B = prompts × samplesPerPrompt.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import '../gradients.ts';

export const ADVANTAGE_NORMALIZATIONS = ['centered', 'standard'] as const;
export type AdvantageNormalization = (typeof ADVANTAGE_NORMALIZATIONS)[number];
export const KL_ESTIMATORS = ['k1', 'k2', 'k3'] as const;
export type KlEstimator = (typeof KL_ESTIMATORS)[number];

/**
 * open-instruct's defaults: `grpo_utils.GRPOExperimentConfig` (beta 0.05, clip_lower 0.2, clip_higher 0.272,
 * kl_estimator 2 = k3), `data_loader.StreamingDataLoaderConfig` (num_samples_per_prompt_rollout 4,
 * advantage_normalization_type centered), `ground_truth_utils` (verification_reward 10).
 */
export const GRPO_DEFAULTS = {
  samplesPerPrompt: 4,
  advantages: 'centered',
  beta: 0.05,
  clipLower: 0.2,
  clipHigher: 0.272,
  klEstimator: 'k3',
  verifierReward: 10,
} as const;

export interface GrpoLossOptions {
  beta: number;
  clipLower: number;
  clipHigher: number;
  klEstimator: KlEstimator;
}

export const grpoLossOptionsSchema = z
  .object({
    beta: z.number().min(0).finite().default(GRPO_DEFAULTS.beta),
    clipLower: z.number().min(0).lt(1).default(GRPO_DEFAULTS.clipLower),
    clipHigher: z.number().min(0).finite().default(GRPO_DEFAULTS.clipHigher),
    klEstimator: z.enum(KL_ESTIMATORS).default(GRPO_DEFAULTS.klEstimator),
  })
  .strict();

export interface GroupAdvantages {
  /** One per sample, in input order (0 for the samples of dropped groups). */
  advantages: number[];
  /** Indices of the groups (prompts) whose rewards are not all equal: the ones trained on. */
  keptGroups: number[];
  /** Indices of the samples of the kept groups. */
  keptSamples: number[];
  /** keptGroups.length / number of groups. */
  fractionKept: number;
}

/** Group-relative advantages of `rewards` (consecutive runs of `groupSize` samples share a prompt). */
export function groupAdvantages(rewards: readonly number[], groupSize: number, normalization: AdvantageNormalization): GroupAdvantages {
  if (!Number.isInteger(groupSize) || groupSize < 1) throw new Error(`groupAdvantages: groupSize must be a positive integer, got ${groupSize}`);
  if (rewards.length % groupSize !== 0) {
    throw new Error(`groupAdvantages: ${rewards.length} rewards are not a whole number of groups of ${groupSize}`);
  }
  const groups = rewards.length / groupSize;
  const advantages = new Array<number>(rewards.length).fill(0);
  const keptGroups: number[] = [];
  const keptSamples: number[] = [];
  for (let g = 0; g < groups; g++) {
    const r = rewards.slice(g * groupSize, (g + 1) * groupSize);
    const mean = r.reduce((a, b) => a + b, 0) / groupSize;
    const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / groupSize);
    if (std === 0) continue;
    keptGroups.push(g);
    r.forEach((x, i) => {
      advantages[g * groupSize + i] = normalization === 'standard' ? (x - mean) / (std + 1e-8) : x - mean;
      keptSamples.push(g * groupSize + i);
    });
  }
  return { advantages, keptGroups, keptSamples, fractionKept: groups === 0 ? 0 : keptGroups.length / groups };
}

/** One batch of sampled responses. Only `logprobs` carries gradient; the others are constants. */
export interface GrpoBatch {
  /** log πθ of each response token `[B, T]` (differentiable). */
  logprobs: tf.Tensor2D;
  /** log π_old, the policy that sampled the batch `[B, T]`. */
  oldLogprobs: tf.Tensor2D;
  /** log π_ref, the starting policy `[B, T]`; without it there is no KL term (open-instruct without a ref policy). */
  refLogprobs?: tf.Tensor2D;
  /** Per-sequence advantages `[B]`, broadcast over the tokens. */
  advantages: tf.Tensor1D;
  /** 1 on response tokens `[B, T]`. */
  mask: tf.Tensor2D;
}

/** The chosen KL estimator of Δ = logπθ − logπ_ref (already clamped), elementwise. */
export function klEstimate(delta: tf.Tensor, estimator: KlEstimator): tf.Tensor {
  return tf.tidy(() => {
    if (estimator === 'k1') return delta.clone();
    if (estimator === 'k2') return tf.div(tf.square(delta), 2);
    return tf.add(tf.expm1(tf.neg(delta)), delta);
  });
}

/** Per-token policy loss, KL and clip indicator `[B, T]` (unmasked). */
export function grpoTerms(b: GrpoBatch, o: GrpoLossOptions): { perToken: tf.Tensor2D; pgLoss: tf.Tensor2D; kl: tf.Tensor2D; clipped: tf.Tensor2D } {
  return tf.tidy(() => {
    const ratio = tf.exp(tf.sub(b.logprobs, b.oldLogprobs));
    const negA = tf.neg(tf.expandDims(b.advantages, 1));
    const pg1 = tf.mul(negA, ratio);
    const pg2 = tf.mul(negA, tf.clipByValue(ratio, 1 - o.clipLower, 1 + o.clipHigher));
    const pgLoss = tf.maximum(pg1, pg2);
    const clipped = tf.cast(tf.greater(pg2, pg1), 'float32');
    // Without a reference the KL term is a constant 0 (not zerosLike, which would sit on the gradient tape).
    const kl =
      b.refLogprobs === undefined
        ? tf.zeros(pgLoss.shape)
        : klEstimate(tf.clipByValue(tf.sub(b.logprobs, b.refLogprobs), -40, 40), o.klEstimator);
    const perToken = b.refLogprobs === undefined ? pgLoss : tf.add(pgLoss, tf.mul(kl, o.beta));
    return { perToken: perToken as tf.Tensor2D, pgLoss: pgLoss as tf.Tensor2D, kl: kl as tf.Tensor2D, clipped: clipped as tf.Tensor2D };
  });
}

/** Σ mask·x / max(Σ mask, 1) over the whole batch (open-instruct's "token" denominator; an empty mask gives 0). */
export function tokenMean(x: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1)));
}

/** The batch loss, differentiable w.r.t. `logprobs`. */
export function grpoLoss(b: GrpoBatch, o: GrpoLossOptions): tf.Scalar {
  return tf.tidy(() => tokenMean(grpoTerms(b, o).perToken, b.mask));
}

/** What the `rlvr` stage records per batch (meanReward and groupsKept come from {@link groupAdvantages}). */
export interface GrpoMetrics {
  loss: number;
  policyLoss: number;
  /** Token mean of the chosen estimator (not multiplied by β). */
  kl: number;
  /** Token fraction where the clipped term is the larger. */
  clipFraction: number;
  /** Mean response tokens per sequence. */
  responseLength: number;
}

export async function grpoMetrics(b: GrpoBatch, o: GrpoLossOptions): Promise<GrpoMetrics> {
  const t = tf.tidy(() => {
    const { perToken, pgLoss, kl, clipped } = grpoTerms(b, o);
    return tf.stack([
      tokenMean(perToken, b.mask),
      tokenMean(pgLoss, b.mask),
      tokenMean(kl, b.mask),
      tokenMean(clipped, b.mask),
      tf.div(tf.sum(b.mask), b.mask.shape[0]),
    ]);
  });
  try {
    const [loss, policyLoss, kl, clipFraction, responseLength] = await t.data();
    return { loss: loss!, policyLoss: policyLoss!, kl: kl!, clipFraction: clipFraction!, responseLength: responseLength! };
  } finally {
    t.dispose();
  }
}
