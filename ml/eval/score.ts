/**
 * Batched log-likelihood scoring, the one forward-pass loop evaluate's tasks share: a window is a run of
 * input tokens, the target each predicts and a weight per target (1: scored, 0: context or padding). Windows
 * of different lengths are right-padded to the longest of their batch (causal attention keeps the padding
 * from reaching earlier positions). A batch's order and size are fixed by the windows' order alone, so the
 * same model and windows always give the same numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GptModel } from '../gpt.ts';
import type { TrainerIO } from '../jobs.ts';
import { sequenceNll } from '../loss.ts';

/** One scoring window: inputs, their targets, and which targets count (1) or are context/padding (0). */
export interface Window {
  inputs: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
}

/** Each window's summed NLL (nats) over its scored targets, batched `rows` at a time. */
export async function windowNlls(model: GptModel, windows: readonly Window[], rows: number, io: TrainerIO): Promise<Float64Array> {
  const out = new Float64Array(windows.length);
  for (let i = 0; i < windows.length; i += rows) {
    if (io.stopRequested()) throw new Error('evaluation stopped');
    const chunk = windows.slice(i, i + rows);
    const R = chunk.length;
    const T = Math.max(...chunk.map((w) => w.inputs.length));
    const inputs = new Int32Array(R * T);
    const targets = new Int32Array(R * T);
    const weights = new Float32Array(R * T);
    chunk.forEach((w, r) => {
      inputs.set(w.inputs, r * T);
      targets.set(w.targets, r * T);
      weights.set(w.weights, r * T);
    });
    const nll = tf.tidy(() => sequenceNll(model, tf.tensor2d(inputs, [R, T], 'int32'), tf.tensor2d(targets, [R, T], 'int32'), tf.tensor2d(weights, [R, T])).nll);
    const values = await nll.data();
    nll.dispose();
    for (let r = 0; r < R; r++) out[i + r] = values[r]!;
    // Let SIGTERM / disconnect handlers run between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}

/**
 * The window that scores `continuation` after `context` (lm-eval's loglikelihood request): the last
 * `maxLength + 1` tokens of context + continuation, the continuation's tokens weighted 1 (all of them while
 * it fits; a continuation longer than the window keeps its last `maxLength` tokens).
 */
export function continuationWindow(context: readonly number[], continuation: readonly number[], maxLength: number): Window {
  const whole = [...context, ...continuation].slice(-(maxLength + 1));
  const n = whole.length - 1;
  const scored = Math.min(continuation.length, n);
  const inputs = Int32Array.from(whole.slice(0, n));
  const targets = Int32Array.from(whole.slice(1));
  const weights = new Float32Array(n);
  weights.fill(1, n - scored);
  return { inputs, targets, weights };
}
