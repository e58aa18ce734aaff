import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../ml/backend.ts';
import type { ShardDoc } from '../../../ml/data.ts';
import { createModel, forward, type GptModel } from '../../../ml/gpt.ts';
import type { TrainerIO } from '../../../ml/jobs.ts';
import { fitNgram } from '../../../ml/ngram.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';
import { perplexityByDomain } from '../../../ml/trainer/evaluate.ts';

const tokenizer = byteTokenizer();
const C = 8;
let model: GptModel;
const io: TrainerIO = { send: async () => {}, stopRequested: () => false };

beforeAll(async () => {
  await selectBackend('wasm');
  model = createModel({ arch: 'gpt', layers: 1, dModel: 16, heads: 2, context: C, tokenizer: 'byte' }, 3);
});
afterAll(() => model.dispose());

/** −log p(seq[j] | seq[from..j−1]) in float64, from one forward pass over exactly that prefix. */
function nllOf(seq: number[], from: number, j: number): number {
  const logits = tf.tidy(() => forward(model, tf.tensor2d([seq.slice(from, j)], undefined, 'int32')));
  const row = Array.from(logits.dataSync().slice((j - from - 1) * 257, (j - from) * 257));
  logits.dispose();
  const max = Math.max(...row);
  const logZ = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
  return logZ - row[seq[j]!]!;
}

describe('perplexityByDomain', () => {
  it('is Σ −log₂ p / bytes with each target seen from the start of its block of `context` targets', async () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    const docs: ShardDoc[] = [{ id: 'd', text, domain: 'x', shard: 's', line: 1 }];
    const ids = tokenizer.encode(text);
    const seq = [tokenizer.eosId, ...ids, tokenizer.eosId];
    const L = seq.length - 1; // targets seq[1..L]
    let nats = 0;
    for (let j = 1; j <= L; j++) {
      // Blocks (kC, (k+1)C]; the last, partial one is predicted from the C tokens before the document's end.
      const end = Math.min(Math.ceil(j / C) * C, L);
      nats += nllOf(seq, Math.max(0, end - C), j);
    }
    const baselines = fitNgram([tokenizer.encode('the lazy brown dog'), tokenizer.encode('a quick fox')], 257, tokenizer.eosId);
    const r = await perplexityByDomain(model, tokenizer, docs, io, Infinity, baselines);
    expect(r['x']!.bytes).toBe(ids.length);
    expect(r['x']!.bitsPerByte).toBeCloseTo(nats / Math.LN2 / ids.length, 4);
    const direct = baselines.documentNll(ids);
    expect(r['x']!.baselines!.trigram).toBeCloseTo(direct.trigram / Math.LN2 / ids.length, 10);
    expect(r['x']!.baselines!.unigram).toBeCloseTo(direct.unigram / Math.LN2 / ids.length, 10);
  });
});
