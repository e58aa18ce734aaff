import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../ml/backend.ts';
import { generateIds, generateTexts, sampleToken } from '../../../ml/generate.ts';
import { createModel, type GptModel } from '../../../ml/gpt.ts';
import { mulberry32 } from '../../../ml/random.ts';
import { byteTokenizer, EOS_ID } from '../../../ml/tokenizer.ts';

describe('sampleToken', () => {
  const logits = [1, 3, 2, 3, -1];

  it('greedy (temperature 0) and top-1 pick the argmax, lowest id on ties', () => {
    const rng = mulberry32(1);
    for (let i = 0; i < 20; i++) {
      expect(sampleToken(logits, 0, 0, rng)).toBe(1);
      expect(sampleToken(logits, 5, 1, rng)).toBe(1);
    }
  });

  it('samples in proportion to softmax(logits / T), within the top k', () => {
    const rng = mulberry32(7);
    const n = 40_000;
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < n; i++) counts[sampleToken(logits, 2, 0, rng)]! += 1;
    const w = logits.map((l) => Math.exp(l / 2));
    const z = w.reduce((a, b) => a + b, 0);
    counts.forEach((c, i) => expect(c / n).toBeCloseTo(w[i]! / z, 1));
    const top2 = [0, 0, 0, 0, 0];
    for (let i = 0; i < 2000; i++) top2[sampleToken(logits, 1, 2, rng)]! += 1;
    expect(top2[0]! + top2[2]! + top2[4]!).toBe(0);
    expect(top2[1]! / 2000).toBeCloseTo(0.5, 1);
  });

  it('takes exactly one number from the stream per token', () => {
    let draws = 0;
    const counting = () => {
      draws += 1;
      return 0.5;
    };
    sampleToken(logits, 0, 0, counting);
    sampleToken(logits, 1, 3, counting);
    expect(draws).toBe(2);
  });
});

describe('generateIds', () => {
  let model: GptModel;
  const tok = byteTokenizer();
  beforeAll(async () => {
    await selectBackend('wasm');
    model = createModel({ arch: 'gpt', layers: 1, dModel: 16, heads: 2, context: 16, tokenizer: 'byte' }, 3);
  });
  afterAll(() => model.dispose());

  const prompts = ['hello', 'a prompt much longer than the sixteen-token context', ''].map((p) => tok.encode(p));

  it('is deterministic given the seed, bounded by maxNewTokens, and never emits EOS', async () => {
    const opts = { maxNewTokens: 24, temperature: 1, topK: 0, seed: 9 };
    const a = await generateIds(model, prompts, EOS_ID, opts);
    expect(await generateIds(model, prompts, EOS_ID, opts)).toEqual(a);
    expect(a).toHaveLength(3);
    for (const ids of a) {
      expect(ids.length).toBeLessThanOrEqual(24);
      expect(ids.every((id) => id >= 0 && id < 256)).toBe(true);
    }
    // A fresh model is near-uniform over 257 ids: 24 tokens rarely end early.
    expect(a.some((ids) => ids.length === 24)).toBe(true);
    const b = await generateIds(model, prompts, EOS_ID, { ...opts, seed: 10 });
    expect(b).not.toEqual(a);
  });

  it('samples each prompt from its own stream: a prompt alone gives what it gives in a batch', async () => {
    const opts = { maxNewTokens: 8, temperature: 1, topK: 0, seed: 4 };
    const batch = await generateIds(model, prompts, EOS_ID, opts);
    const alone = await generateIds(model, [prompts[0]!], EOS_ID, opts);
    expect(alone[0]).toEqual(batch[0]);
  });

  it('greedy decoding matches top-1 sampling; maxNewTokens 0 gives empty texts', async () => {
    const greedy = await generateIds(model, prompts, EOS_ID, { maxNewTokens: 6, temperature: 0, topK: 0, seed: 1 });
    const top1 = await generateIds(model, prompts, EOS_ID, { maxNewTokens: 6, temperature: 0.8, topK: 1, seed: 2 });
    expect(top1).toEqual(greedy);
    expect(await generateTexts(model, tok, ['x', 'y'], { maxNewTokens: 0, temperature: 1, topK: 0, seed: 1 })).toEqual(['', '']);
  });
});
