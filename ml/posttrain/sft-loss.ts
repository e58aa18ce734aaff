/**
 * SFT's data and loss, apart from the trainer so tests reach them directly: the chat template that turns a
 * `{prompt, response}` row into tokens, the labels that mask everything but the response (and its EOS) with
 * -100, and the loss open-instruct's finetune.py uses by default: the mean token cross-entropy over the
 * unmasked labels of the batch (`F.cross_entropy(..., ignore_index=-100)`, reduction mean, i.e. Σ nll / the
 * number of response tokens in the batch, not a mean of per-row means).
 */
import * as tf from '@tensorflow/tfjs-core';
import { forward, type GptModel } from '../gpt.ts';
import { tokenNll } from '../loss.ts';
import type { Tokenizer } from '../tokenizer.ts';

/** PyTorch's `ignore_index`: a label that takes no part in the loss. */
export const IGNORE_INDEX = -100;

/**
 * The chat template, Tülu's in byte form: `<eos><|user|>\n{prompt}\n<|assistant|>\n{response}<eos>`. Recorded on
 * every SFT model artifact (`meta.chatTemplate`) so generation and evaluation format prompts the same way.
 * The leading EOS is Tülu's `{{ bos_token }}` (the byte tokenizer's one special token is both): the document
 * boundary every Braise model saw in pretraining, and what generation and evaluation put before a prompt.
 */
export const CHAT_TEMPLATE = {
  name: 'tulu',
  /** The example starts with the tokenizer's EOS token as its BOS. */
  startsWithEos: true,
  user: '<|user|>\n',
  assistant: '\n<|assistant|>\n',
  /** The response ends with the tokenizer's EOS token, which is trained on (the model learns to stop). */
  endsWithEos: true,
} as const;

/** What the model is shown before it answers: the prompt in the template, up to and including the assistant tag. */
export function chatPrompt(prompt: string): string {
  return `${CHAT_TEMPLATE.user}${prompt}${CHAT_TEMPLATE.assistant}`;
}

/** The prompt's tokens as the model is shown them: the BOS (EOS) token, then {@link chatPrompt}. */
export function chatPromptIds(prompt: string, tokenizer: Tokenizer): number[] {
  return [tokenizer.eosId, ...tokenizer.encode(chatPrompt(prompt))];
}

/** One example's tokens and labels: `labels[i]` is `tokens[i]` on response positions (and the EOS), else {@link IGNORE_INDEX}. */
export interface SftExample {
  tokens: number[];
  labels: number[];
}

/**
 * Tokens and labels of a row. `maskPrompt: false` trains on the prompt too (every label kept). At most
 * `maxTokens` tokens: longer examples are cut at the end, as open-instruct truncates to max_seq_length.
 */
export function sftExample(row: { prompt: string; response: string }, tokenizer: Tokenizer, maxTokens: number, maskPrompt = true): SftExample {
  const prompt = chatPromptIds(row.prompt, tokenizer);
  const response = [...tokenizer.encode(row.response), tokenizer.eosId];
  const tokens = [...prompt, ...response].slice(0, maxTokens);
  const labels = tokens.map((t, i) => (maskPrompt && i < prompt.length ? IGNORE_INDEX : t));
  return { tokens, labels };
}

/** A batch for next-token prediction: `inputs[b, t]` predicts `targets[b, t]`, a label shifted by one; padding is ignored. */
export interface SftBatch {
  inputs: Int32Array;
  targets: Int32Array;
  rows: number;
  length: number;
  /** Targets that count (not {@link IGNORE_INDEX}). */
  tokens: number;
}

/** Packs examples (each at most `length + 1` tokens) into `[rows, length]` inputs and shifted targets, right-padded with EOS and ignored labels. */
export function sftBatch(examples: readonly SftExample[], length: number, padId: number): SftBatch {
  const rows = examples.length;
  const inputs = new Int32Array(rows * length).fill(padId);
  const targets = new Int32Array(rows * length).fill(IGNORE_INDEX);
  let tokens = 0;
  examples.forEach((ex, r) => {
    for (let t = 0; t < Math.min(length, ex.tokens.length - 1); t++) {
      inputs[r * length + t] = ex.tokens[t]!;
      const label = ex.labels[t + 1]!;
      targets[r * length + t] = label;
      if (label !== IGNORE_INDEX) tokens++;
    }
  });
  return { inputs, targets, rows, length, tokens };
}

/**
 * Mean cross-entropy (nats) of `logits` `[B, T, V]` over the labels `[B, T]` (int32) that are not
 * {@link IGNORE_INDEX}: Σ nll / count, 0 for a batch with none. Ignored positions are multiplied out before
 * the sum, so their logits get exactly zero gradient and their labels' values do not matter.
 */
export function maskedCrossEntropy(logits: tf.Tensor3D, labels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const keep = tf.notEqual(labels, tf.scalar(IGNORE_INDEX, 'int32'));
    const safe = tf.where(keep, labels, tf.zerosLike(labels));
    const weights = tf.cast(keep, 'float32');
    const nll = tokenNll(logits, safe as tf.Tensor2D);
    return tf.div(tf.sum(tf.mul(nll, weights)), tf.maximum(tf.sum(weights), 1));
  });
}

/** The SFT loss of `model` on a batch: {@link maskedCrossEntropy} of its logits on `inputs` against `targets`. */
export function sftLoss(model: GptModel, inputs: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => maskedCrossEntropy(forward(model, inputs), targets));
}
