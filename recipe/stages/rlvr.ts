/**
 * `rlvr`: GRPO-style reinforcement learning with verifiable rewards (open-instruct's grpo_fast.py) of one
 * input model on its input datasets' `{prompt, answer}` rows, in the trainer child (activities/rlvr/,
 * ml/trainer/rlvr.ts). Each step samples `samplesPerPrompt` completions of `promptsPerStep` prompts from the
 * current policy, rewards each by exact match of its extracted final answer (ml/posttrain/verifier.ts),
 * takes group advantages and makes one update of the clipped-ratio loss + β·KL to the starting policy
 * (ml/posttrain/grpo.ts). Defaults are open-instruct's where they fit a tiny byte-level model; `lr`,
 * `temperature` and `maxNewTokens` are Braise's (README "rlvr"). PURE.
 */
import { z } from 'zod';
import { answerExtraction, frac, lr, pos, posInt, regexProblem, TUNES_A_MODEL } from './common.ts';
import type { StageSpec, WithIssue } from './spec.ts';

export const rlvrWith = z
  .object({
    /** Optimizer updates; each samples a fresh batch of completions from the policy of that moment. */
    steps: posInt.max(1_000_000).default(50),
    /** Completions per prompt (a group): open-instruct's num_samples_per_prompt_rollout. */
    samplesPerPrompt: z.number().int().min(2).max(256).default(4),
    promptsPerStep: posInt.max(4096).default(8),
    lr: lr.default(3e-4),
    /** Linear warmup over this fraction of the steps, then linear decay (open-instruct: no warmup; a fresh AdamW's first full-size step wrecks a tiny model). */
    warmupRatio: frac.default(0.1),
    /** The KL penalty's weight. */
    beta: z.number().min(0).finite().default(0.05),
    /** k3 = expm1(−Δ) + Δ (open-instruct's default), k1 = Δ, k2 = Δ²/2 of Δ = log πθ − log π_ref. */
    klEstimator: z.enum(['k1', 'k2', 'k3']).default('k3'),
    /** `centered` r − mean, or `standard` (r − mean)/(std + 1e-8), per group. */
    advantage: z.enum(['centered', 'standard']).default('centered'),
    clipLower: z.number().min(0).lt(1).default(0.2),
    clipHigher: z.number().min(0).finite().default(0.272),
    /** Sampling temperature (the training log-probs use the same one, as open-instruct does). */
    temperature: pos.max(10).default(1),
    maxNewTokens: posInt.max(4096).default(16),
    extraction: answerExtraction.default('last_number'),
    /** What a correct answer scores (open-instruct's verification_reward). */
    reward: pos.default(10),
    gradClip: pos.default(1),
    weightDecay: z.number().min(0).default(0),
    checkpointEvery: posInt.default(10),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  })
  .strict();

export type RlvrWith = z.output<typeof rlvrWith>;

/** A `{ regex }` extraction must compile (JavaScript syntax): refused at compile time with its path. */
function checkRlvr(w: RlvrWith): WithIssue[] {
  const problem = typeof w.extraction === 'object' ? regexProblem(w.extraction.regex) : null;
  return problem === null ? [] : [{ path: 'extraction.regex', message: `not a valid regular expression: ${problem}` }];
}

export const rlvrStage = {
  kind: 'rlvr',
  summary: 'GRPO-style RL with verifiable rewards: sampled groups, exact-match verifier, clipped ratio loss + KL (open-instruct)',
  with: rlvrWith,
  settings: rlvrWith,
  ...TUNES_A_MODEL,
  available: true,
  implVersion: '1',
  check: checkRlvr,
  headline: ['first_mean_reward', 'mean_reward', 'kl', 'steps'],
} as const satisfies StageSpec<'rlvr', typeof rlvrWith>;
