/** A fresh (untrained) seeded Braise model directory, for generation tests: its text is gibberish, but deterministic. */
import path from 'node:path';
import { selectBackend } from '../../../ml/backend.ts';
import { saveModel } from '../../../ml/checkpoint.ts';
import { createModel, readWeights } from '../../../ml/gpt.ts';
import type { ModelConfig } from '../../../ml/jobs.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';

export const TINY: ModelConfig = { arch: 'gpt', layers: 1, dModel: 16, heads: 2, context: 48, tokenizer: 'byte' };

/** Writes `<root>/<name>` holding a fresh model of `config` initialised from `seed`; returns the directory. */
export async function freshModelDir(root: string, name = 'model', seed = 42, config: ModelConfig = TINY): Promise<string> {
  await selectBackend('wasm');
  const dir = path.join(root, name);
  const model = createModel(config, seed);
  try {
    const state = { step: 0, lossCurve: [], tokensSeen: 0, backend: 'wasm', seed };
    await saveModel(dir, { config, tokenizer: byteTokenizer(), weights: await readWeights(model), state, finalLoss: Number.NaN });
  } finally {
    model.dispose();
  }
  return dir;
}
