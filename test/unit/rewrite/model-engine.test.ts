import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInChild, modelEngine } from '../../../activities/rewrite/engines/model.ts';
import { PermanentError } from '../../../errors/permanent.ts';
import { loadModel } from '../../../ml/checkpoint.ts';
import { generateTexts } from '../../../ml/generate.ts';
import type { GenerateJob } from '../../../ml/jobs.ts';
import { freshModelDir } from './model-dir.ts';

/* These tests fork real trainer children (tsx + TensorFlow.js WASM) running `generate` jobs. */

const root = mkdtempSync(path.join(tmpdir(), 'braise-model-engine-'));
let modelDir: string;
beforeAll(async () => {
  modelDir = await freshModelDir(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const texts = ['The market opens at nine and closes at five.', 'short', 'Ünïcödé text, with accents, to cut safely at the context limit of the model'];

describe('model engine', () => {
  it('is deterministic given its seed, and the seed matters', async () => {
    const opts = { modelDir, maxNewTokens: 16, temperature: 1, topK: 50, seed: 1 };
    const a = await modelEngine(opts).rewrite(texts);
    expect(a).toHaveLength(texts.length);
    for (const t of a) if (t !== null) expect(t).toBe(t.trim());
    // Gibberish from a fresh model, but at least one answer is non-empty.
    expect(a.some((t) => t !== null && t.length > 0)).toBe(true);
    expect(await modelEngine(opts).rewrite(texts)).toEqual(a);
    expect(await modelEngine({ ...opts, seed: 2 }).rewrite(texts)).not.toEqual(a);
  });

  it('a generate job in the child samples exactly what ml/generate.ts samples in-process', async () => {
    // The same backend on both sides (in-process is WASM, see model-dir.ts; auto would pick native where it is set up).
    const job: GenerateJob = { type: 'generate', modelDir, prompts: ['Rewrite: hello world', 'x'], maxNewTokens: 12, temperature: 0.9, topK: 20, seed: 77, backend: 'wasm' };
    const child = await generateInChild(job);
    expect(child.backend).toBe(process.env.BRAISE_TF_BACKEND || 'wasm');
    const { model, tokenizer } = await loadModel(modelDir);
    try {
      expect(child.texts).toEqual(await generateTexts(model, tokenizer, job.prompts, job));
    } finally {
      model.dispose();
    }
  });

  it('fails permanently, naming the file, for a directory that is not a model', async () => {
    const engine = modelEngine({ modelDir: path.join(root, 'nope'), maxNewTokens: 4, temperature: 1, topK: 0, seed: 1 });
    await expect(engine.rewrite(['x'])).rejects.toMatchObject({ name: 'StageInputError', message: expect.stringContaining(`${path.join(root, 'nope', 'config.json')}: not found`) });
    const bad = generateInChild({ type: 'generate', modelDir, prompts: ['x'], maxNewTokens: 0, temperature: 1, topK: 0, seed: 1 });
    await expect(bad).rejects.toBeInstanceOf(PermanentError);
    await expect(bad).rejects.toMatchObject({ name: 'JobInputError', message: expect.stringContaining('job: maxNewTokens') });
  });
});
