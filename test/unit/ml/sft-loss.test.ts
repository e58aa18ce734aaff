/**
 * The SFT loss (ml/posttrain/sft-loss.ts): the chat template's labels mask everything but the response and
 * its EOS; the loss ignores prompt positions (their labels may be anything, their logits get zero gradient);
 * and it equals PyTorch's F.cross_entropy(ignore_index=-100) after the causal shift, as open-instruct computes
 * it (test/fixtures/goldens/sft/masked-ce.json, written by scripts/goldens/sft_masked_ce.py).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { selectBackend } from '../../../ml/backend.ts';
import { linearLrAt } from '../../../ml/optim.ts';
import { chatPrompt, IGNORE_INDEX, maskedCrossEntropy, sftBatch, sftExample } from '../../../ml/posttrain/sft-loss.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';
import { warmupSteps } from '../../../ml/trainer/sft.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

const tok = byteTokenizer();

/** The loss and its gradient with respect to the logits. */
function lossAndGrad(logits: number[], shape: [number, number, number], targets: number[]): { loss: number; grad: Float32Array } {
  const x = tf.tensor3d(logits, shape);
  const y = tf.tensor2d(targets, [shape[0], shape[1]], 'int32');
  const { value, grad } = tf.valueAndGrad((l: tf.Tensor3D) => maskedCrossEntropy(l, y))(x);
  const out = { loss: value.dataSync()[0]!, grad: grad.dataSync() as Float32Array };
  tf.dispose([x, y, value, grad]);
  return out;
}

describe('sftExample', () => {
  it('labels only the response and its EOS, in the documented template', () => {
    const ex = sftExample({ prompt: 'What is 2 + 2?', response: '4' }, tok, 1000);
    const prompt = [tok.eosId, ...tok.encode(chatPrompt('What is 2 + 2?'))];
    // The BOS (the tokenizer's EOS, as Tülu's template's {{ bos_token }}), the tagged prompt, the response, EOS.
    expect(ex.tokens[0]).toBe(tok.eosId);
    expect(tok.decode(ex.tokens.slice(1))).toBe('<|user|>\nWhat is 2 + 2?\n<|assistant|>\n4');
    expect(ex.tokens.at(-1)).toBe(tok.eosId);
    expect(ex.labels.slice(0, prompt.length).every((l) => l === IGNORE_INDEX)).toBe(true);
    expect(ex.labels.slice(prompt.length)).toEqual([...tok.encode('4'), tok.eosId]);
    expect(sftExample({ prompt: 'p', response: 'r' }, tok, 1000, false).labels).toEqual(sftExample({ prompt: 'p', response: 'r' }, tok, 1000, false).tokens);
    expect(sftExample({ prompt: 'What is 2 + 2?', response: '4' }, tok, 10).tokens).toHaveLength(10);
  });

  it('gives the same targets whatever the prompt says (the prompt is masked, not read)', () => {
    const rows = ['What is 12 + 34?', 'What is 98 - 76?'].map((prompt) => sftBatch([sftExample({ prompt, response: '46' }, tok, 100)], 100, tok.eosId));
    expect(Array.from(rows[0]!.inputs)).not.toEqual(Array.from(rows[1]!.inputs));
    expect(Array.from(rows[0]!.targets)).toEqual(Array.from(rows[1]!.targets));
  });

  it('batches with the causal shift: targets are the next label, padding ignored', () => {
    const a = sftExample({ prompt: 'a', response: 'xy' }, tok, 100);
    const b = sftExample({ prompt: 'bb', response: 'z' }, tok, 100);
    const length = Math.max(a.tokens.length, b.tokens.length) - 1;
    const batch = sftBatch([a, b], length, tok.eosId);
    expect(Array.from(batch.inputs.slice(0, length))).toEqual(a.tokens.slice(0, -1).concat(Array(length - a.tokens.length + 1).fill(tok.eosId)));
    expect(Array.from(batch.targets.slice(0, length)).filter((t) => t !== IGNORE_INDEX)).toEqual([...tok.encode('xy'), tok.eosId]);
    expect(batch.tokens).toBe(3 + 2);
  });
});

describe('maskedCrossEntropy', () => {
  const shape: [number, number, number] = [2, 5, 6];
  const logits = Array.from({ length: 2 * 5 * 6 }, (_, i) => Math.sin(i * 1.7) * 3);
  const targets = [IGNORE_INDEX, IGNORE_INDEX, 3, 5, 1, IGNORE_INDEX, 2, 4, IGNORE_INDEX, IGNORE_INDEX];
  const ignored = targets.map((t, i) => (t === IGNORE_INDEX ? i : -1)).filter((i) => i >= 0);

  it('ignores prompt positions: their targets and logits do not change the loss, and their logits get zero gradient', () => {
    const base = lossAndGrad(logits, shape, targets);
    const changedLogits = logits.map((v, i) => (ignored.includes(Math.floor(i / 6)) ? v + 10 * Math.cos(i) : v));
    expect(lossAndGrad(changedLogits, shape, targets).loss).toBeCloseTo(base.loss, 6);
    for (const pos of ignored) for (let v = 0; v < 6; v++) expect(Math.abs(base.grad[pos * 6 + v]!)).toBe(0);
    // And a response position's logits do move the loss (the test can fail).
    const kept = targets.findIndex((t) => t !== IGNORE_INDEX);
    expect(Array.from(base.grad.slice(kept * 6, kept * 6 + 6)).some((g) => Math.abs(g) > 1e-4)).toBe(true);
  });

  it('is 0 for a batch with no response token, not NaN', () => {
    expect(lossAndGrad(logits, shape, targets.map(() => IGNORE_INDEX)).loss).toBe(0);
  });
});

describe('the linear schedule with warmup (transformers get_linear_schedule_with_warmup)', () => {
  it('warms up from 0, peaks, and decays linearly to lr/steps at the last update', () => {
    const s = { lr: 1, warmupSteps: warmupSteps(100, 0.03), totalSteps: 100 };
    expect(s.warmupSteps).toBe(3);
    expect([1, 2, 3, 4].map((k) => linearLrAt(k, s))).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(linearLrAt(100, s)).toBeCloseTo(1 / 97, 12);
  });
});

const goldenSchema = z.object({
  torch: z.string(),
  cases: z.array(z.object({ name: z.string(), shape: z.tuple([z.number().int(), z.number().int(), z.number().int()]), logits: z.array(z.number()), labels: z.array(z.array(z.number().int())), loss: z.number(), grad: z.array(z.number()) })),
});

describe('against PyTorch F.cross_entropy(ignore_index=-100), the causal shift as open-instruct has it', () => {
  const golden = goldenSchema.parse(JSON.parse(readFileSync(new URL('../../fixtures/goldens/sft/masked-ce.json', import.meta.url), 'utf8')));
  it.each(golden.cases)('$name', ({ shape, logits, labels, loss, grad }) => {
    const [B, T, V] = shape;
    // Braise's batches hold the shift already: logits at t predict labels at t + 1 (sftBatch).
    const shifted = Array.from({ length: B }, (_, b) => Array.from({ length: T - 1 }, (_, t) => logits.slice((b * T + t) * V, (b * T + t + 1) * V)).flat()).flat();
    const targets = labels.flatMap((row) => row.slice(1));
    const out = lossAndGrad(shifted, [B, T - 1, V], targets);
    expect(out.loss).toBeCloseTo(loss, 5);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        for (let v = 0; v < V; v++) {
          // The last position predicts nothing (PyTorch's gradient there is 0).
          const ours = t < T - 1 ? out.grad[(b * (T - 1) + t) * V + v]! : 0;
          expect(ours).toBeCloseTo(grad[(b * T + t) * V + v]!, 5);
        }
      }
    }
  });
});
