/**
 * One RLVR step's rollouts, apart from the trainer so tests reach them directly: which prompts a step
 * samples, the sequences the policy produced (as ml/generate.ts saw them: the chat-templated prompt, the
 * completion, and the EOS it stopped on, which is an action the policy took and is trained on), their
 * verifier rewards, the group advantages (./grpo.ts: zero-std groups dropped) and the shifted batch of the
 * kept samples with its response mask. Pure: numbers in, numbers out; the trainer makes the tensors.
 */
import type { MaskedBatch } from './logprobs.ts';
import { groupAdvantages, type AdvantageNormalization, type GroupAdvantages } from './grpo.ts';
import { verifyAnswer, type AnswerExtraction } from './verifier.ts';

/** A sampled completion as the trainer sees it: `tokens[responseStart..]` is the response. */
export interface Rollout {
  tokens: number[];
  responseStart: number;
}

/**
 * The rollout of one completion: `[...prompt, ...completion]` plus a final EOS when the policy stopped on it
 * (a completion shorter than `maxNewTokens`: ml/generate.ts drops the EOS it stops on), cut to `maxTokens`
 * (the model's context + 1) at the end. No leading EOS: the prompt is shown as SFT showed it (sft-loss.ts).
 */
export function rolloutOf(prompt: readonly number[], completion: readonly number[], eosId: number, maxNewTokens: number, maxTokens: number): Rollout {
  const stopped = completion.length < maxNewTokens;
  const tokens = [...prompt, ...completion, ...(stopped ? [eosId] : [])].slice(0, maxTokens);
  return { tokens, responseStart: prompt.length };
}

/** Next-token batch of rollouts (targets of prompt positions are the prompt's tokens, masked out). */
export type RolloutBatch = MaskedBatch;

/** Packs rollouts into `[rows, length]` (length = the longest − 1), right-padded with `padId` and mask 0. */
export function rolloutBatch(rollouts: readonly Rollout[], padId: number): RolloutBatch {
  const rows = rollouts.length;
  const length = Math.max(1, ...rollouts.map((r) => r.tokens.length - 1));
  const inputs = new Int32Array(rows * length).fill(padId);
  const targets = new Int32Array(rows * length).fill(padId);
  const mask = new Float32Array(rows * length);
  let tokens = 0;
  rollouts.forEach((ro, r) => {
    for (let t = 0; t < ro.tokens.length - 1; t++) {
      inputs[r * length + t] = ro.tokens[t]!;
      targets[r * length + t] = ro.tokens[t + 1]!;
      if (t + 1 >= ro.responseStart) {
        mask[r * length + t] = 1;
        tokens++;
      }
    }
  });
  return { inputs, targets, mask, rows, length, tokens };
}

/** The rows step `step` (0-based) samples: draws step·perStep … step·perStep + perStep − 1 of `rowAt` (./epoch-order.ts). */
export function stepPrompts(step: number, perStep: number, rowAt: (k: number) => number): number[] {
  return Array.from({ length: perStep }, (_, i) => rowAt(step * perStep + i));
}

/** What one step's rollouts came to, before any tensor. */
export interface ScoredStep extends GroupAdvantages {
  rewards: number[];
  meanReward: number;
  /** Fraction of completions whose answer was right. */
  accuracy: number;
  /** Mean response tokens per completion (its final EOS included when it stopped on one). */
  responseLength: number;
}

/**
 * Rewards (`reward` for a right answer, else 0) of `texts` (the decoded completions, `samplesPerPrompt` per
 * prompt, prompt by prompt) against `answers` (one per prompt), and their group advantages.
 */
export function scoreStep(
  texts: readonly string[],
  answers: readonly string[],
  rollouts: readonly Rollout[],
  o: { samplesPerPrompt: number; advantage: AdvantageNormalization; extraction: AnswerExtraction; reward: number },
): ScoredStep {
  if (texts.length !== answers.length * o.samplesPerPrompt || rollouts.length !== texts.length) {
    throw new Error(`scoreStep: ${texts.length} completions and ${rollouts.length} rollouts for ${answers.length} prompts × ${o.samplesPerPrompt}`);
  }
  const rewards = texts.map((t, i) => verifyAnswer(t, answers[Math.floor(i / o.samplesPerPrompt)]!, o.extraction, o.reward));
  const n = rewards.length;
  const meanReward = rewards.reduce((a, b) => a + b, 0) / n;
  const accuracy = rewards.filter((r) => r === o.reward).length / n;
  const responseLength = rollouts.reduce((a, r) => a + r.tokens.length - r.responseStart, 0) / n;
  return { ...groupAdvantages(rewards, o.samplesPerPrompt, o.advantage), rewards, meanReward, accuracy, responseLength };
}
