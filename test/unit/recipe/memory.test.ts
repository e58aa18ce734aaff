/** The training-memory estimate against what tfjs really allocates, and the shipped recipes against it. */
import { readFileSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../ml/backend.ts';
import { createModel, paramSpecs } from '../../../ml/gpt.ts';
import { AdamW } from '../../../ml/optim.ts';
import { trainStep } from '../../../ml/train-step.ts';
import { compileRecipe, parseRecipeText } from '../../../recipe/index.ts';
import { estimateTrainingMemory, parameterCount } from '../../../recipe/memory.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

const SHAPES = [
  { layers: 1, dModel: 32, heads: 2, context: 32, batchSize: 4 },
  { layers: 2, dModel: 32, heads: 8, context: 128, batchSize: 4 },
  { layers: 4, dModel: 128, heads: 4, context: 16, batchSize: 8 },
];

describe('training memory estimate', () => {
  it.each(SHAPES)('counts the parameters ml/gpt.ts makes, and is within 15% of the measured peak of a step (%o)', async (shape) => {
    const { batchSize, ...dims } = shape;
    const config = { arch: 'gpt' as const, tokenizer: 'byte' as const, ...dims };
    expect(parameterCount(dims)).toBe(paramSpecs(config).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0));
    const model = createModel(config, 1);
    const opt = new AdamW(model.params, { weightDecay: 0.1 });
    const x = tf.randomUniform([batchSize, dims.context], 0, 257, 'int32') as tf.Tensor2D;
    const y = tf.randomUniform([batchSize, dims.context], 0, 257, 'int32') as tf.Tensor2D;
    const resident = tf.memory().numBytes;
    const profile = await tf.profile(() => trainStep(model, opt, x, y, { lr: 1e-3, gradClip: 1 }));
    x.dispose();
    y.dispose();
    model.dispose();
    const measured = resident + profile.peakBytes - 2 * batchSize * dims.context * 4; // inputs are not the model's
    const estimate = estimateTrainingMemory(shape).tensorBytes;
    expect(estimate / measured).toBeGreaterThan(0.85);
    expect(estimate / measured).toBeLessThan(1.15);
  });

  it('puts the largest model the schema allows far beyond any machine', () => {
    const e = estimateTrainingMemory({ layers: 48, dModel: 4096, heads: 64, context: 4096, batchSize: 4096 });
    expect(e.bytes).toBeGreaterThan(1024 ** 5);
  });
});

describe('the shipped recipes', () => {
  const dir = new URL('../../../recipes/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it.each(files)('%s compiles with no warnings, its training stages under 1 GiB', (file) => {
    // A sweep's cells are compiled by its own test (nightly-ablation.yaml: test/unit/recipe/mixture.test.ts); here the recipe less its sweep.
    const recipe = parseRecipeText(readFileSync(new URL(file, dir), 'utf8'), file);
    const plan = compileRecipe({ ...recipe, sweep: undefined }, { workerMemoryBytes: 1024 ** 3 });
    expect(plan.warnings).toEqual([]);
    // A sweep's stages are its cells' (each compiled with the same limits).
    for (const p of plan.sweep ? plan.sweep.cells.map((c) => c.plan) : [plan]) expect(p.nodes.length).toBeGreaterThan(1);
  });
});
