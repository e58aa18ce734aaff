/**
 * Preference pairs as the DPO family scores them: each `{prompt, chosen, rejected}` row becomes two examples in
 * the sft chat template (./sft-loss.ts: prompt masked, the response and its EOS labelled), a batch of pairs is
 * one forward pass of 2B rows (the chosen rows, then the rejected ones), and a response's log-prob is the sum
 * (or length-mean, ./logprobs.ts) over its labelled tokens only.
 *
 * The frozen reference's log-probs are computed once per (reference model, rows, template) and kept as
 * {@link ReferenceLogprobs}: per pair, the summed log-prob and the token count of each response, from which both
 * reductions follow (`mean` = sum / max(tokens, 1), as open-instruct's `_get_batch_logps`), so one cache serves
 * `dpo` and `dpo_norm`.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PreferenceRow } from '../../datasets/posttrain/rows.ts';
import type { GptModel } from '../gpt.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { maskedBatchTensors, modelSequenceLogprobs, type LogprobReduction, type MaskedBatch } from './logprobs.ts';
import { CHAT_TEMPLATE, IGNORE_INDEX, sftBatch, sftExample, type SftExample } from './sft-loss.ts';

/** A pair's two examples, the same prompt in each. */
export interface PairExamples {
  chosen: SftExample;
  rejected: SftExample;
}

/** The examples of a row, each cut to `maxTokens` (the model's context + 1). */
export function pairExamples(row: PreferenceRow, tokenizer: Tokenizer, maxTokens: number): PairExamples {
  return {
    chosen: sftExample({ prompt: row.prompt, response: row.chosen }, tokenizer, maxTokens),
    rejected: sftExample({ prompt: row.prompt, response: row.rejected }, tokenizer, maxTokens),
  };
}

/** Labelled target tokens of an example (the first token is never a target). */
export function responseTokens(ex: SftExample): number {
  return ex.labels.slice(1).filter((l) => l !== IGNORE_INDEX).length;
}

/** One forward pass's worth of pairs: `[2B, T]` inputs, targets (ignored ones as 0) and the response mask of both sides. */
export type PairBatch = MaskedBatch;

/** Packs pairs into one batch: rows 0..B-1 the chosen responses, B..2B-1 the rejected ones, right-padded. */
export function pairBatch(pairs: readonly PairExamples[], padId: number): PairBatch {
  const examples = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
  const length = Math.max(1, ...examples.map((e) => e.tokens.length - 1));
  const b = sftBatch(examples, length, padId);
  const mask = new Float32Array(b.targets.length);
  const targets = new Int32Array(b.targets.length);
  b.targets.forEach((t, i) => {
    const keep = t !== IGNORE_INDEX;
    mask[i] = keep ? 1 : 0;
    targets[i] = keep ? t : 0;
  });
  return { inputs: b.inputs, targets, mask, rows: b.rows, length, tokens: b.tokens };
}


/** Sequence log-probs `[B]` of each side of a pair batch, differentiable w.r.t. the model. */
export function pairLogprobs(model: GptModel, t: ReturnType<typeof maskedBatchTensors>, reduction: LogprobReduction): { chosen: tf.Tensor1D; rejected: tf.Tensor1D } {
  return tf.tidy(() => {
    const all = modelSequenceLogprobs(model, t.inputs, t.targets, t.mask, reduction);
    const [chosen, rejected] = tf.split(all, 2);
    return { chosen: chosen as tf.Tensor1D, rejected: rejected as tf.Tensor1D };
  });
}

/** A reference model's summed response log-probs and response lengths, pair by pair, in row order. */
export const referenceLogprobsSchema = z.strictObject({
  format: z.literal('braise.dpo-reference/v1'),
  template: z.string(),
  /** sha256 of the rows' tokens and labels: a cache made for other rows is refused. */
  rowsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  pairs: z.number().int().nonnegative(),
  chosen: z.strictObject({ sum: z.array(z.number()), tokens: z.array(z.number().int().nonnegative()) }),
  rejected: z.strictObject({ sum: z.array(z.number()), tokens: z.array(z.number().int().nonnegative()) }),
});
export type ReferenceLogprobs = z.output<typeof referenceLogprobsSchema>;

/** What the reference cache is checked against: the examples' tokens and labels, hashed. */
export function rowsSha256(pairs: readonly PairExamples[]): string {
  const h = createHash('sha256');
  for (const p of pairs) h.update(JSON.stringify([p.chosen.tokens, p.chosen.labels, p.rejected.tokens, p.rejected.labels])).update('\n');
  return h.digest('hex');
}

/** Pairs scored per forward pass of the reference. */
const REFERENCE_BATCH = 16;

/**
 * The reference's log-probs of every pair (summed, with token counts), `onBatch` after each forward pass (it may
 * throw to stop).
 */
export async function referenceLogprobs(model: GptModel, pairs: readonly PairExamples[], padId: number, onBatch?: (done: number) => Promise<void>): Promise<ReferenceLogprobs> {
  const out: ReferenceLogprobs = {
    format: 'braise.dpo-reference/v1',
    template: CHAT_TEMPLATE.name,
    rowsSha256: rowsSha256(pairs),
    pairs: pairs.length,
    chosen: { sum: [], tokens: [] },
    rejected: { sum: [], tokens: [] },
  };
  for (let at = 0; at < pairs.length; at += REFERENCE_BATCH) {
    const chunk = pairs.slice(at, at + REFERENCE_BATCH);
    const t = maskedBatchTensors(pairBatch(chunk, padId));
    const lp = pairLogprobs(model, t, 'sum');
    try {
      out.chosen.sum.push(...(await lp.chosen.data()));
      out.rejected.sum.push(...(await lp.rejected.data()));
    } finally {
      tf.dispose([t.inputs, t.targets, t.mask, lp.chosen, lp.rejected]);
    }
    for (const p of chunk) {
      out.chosen.tokens.push(responseTokens(p.chosen));
      out.rejected.tokens.push(responseTokens(p.rejected));
    }
    await onBatch?.(Math.min(at + REFERENCE_BATCH, pairs.length));
  }
  return out;
}

/** The reference's log-probs `[B]` of pairs `indices` in `reduction`, as constants. */
export function referenceTensors(ref: ReferenceLogprobs, indices: readonly number[], reduction: LogprobReduction): { chosen: tf.Tensor1D; rejected: tf.Tensor1D } {
  const side = (s: ReferenceLogprobs['chosen']) => tf.tensor1d(indices.map((i) => (reduction === 'sum' ? s.sum[i]! : s.sum[i]! / Math.max(s.tokens[i]!, 1))));
  return { chosen: side(ref.chosen), rejected: side(ref.rejected) };
}
