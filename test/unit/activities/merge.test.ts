/**
 * The merge activity over a real artifact store: it merges the model artifacts it is given (the base by its
 * role), commits a model artifact whose meta names every input and the base with the method and settings,
 * and fails models that do not fit together as non-retryable, naming the tensor.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { createMerge } from '../../../activities/merge/activity.ts';
import type { StageInput } from '../../../activities/types.ts';
import { saveModel } from '../../../ml/checkpoint.ts';
import type { ModelConfig } from '../../../ml/config.ts';
import { paramSpecs } from '../../../ml/gpt.ts';
import { hashSeed, mulberry32 } from '../../../ml/random.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';
import { inputOf, runStage, stageDeps, stageRequest } from '../rewrite/stage-env.ts';

const CONFIG: ModelConfig = { arch: 'gpt', layers: 1, dModel: 8, heads: 2, context: 4, tokenizer: 'byte' };

/** A model artifact with seeded weights, as a pretrain stage would commit it. */
async function modelArtifact(deps: Awaited<ReturnType<typeof stageDeps>>, seed: number, config = CONFIG) {
  const rng = mulberry32(hashSeed(seed));
  const weights = new Map(paramSpecs(config).map((s) => [s.name, Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => rng() - 0.5)]));
  const dir = path.join(await deps.store.stage(), 'model');
  await saveModel(dir, { config, tokenizer: byteTokenizer(), weights, state: { step: 1, lossCurve: [], tokensSeen: 0, backend: 'wasm', seed }, finalLoss: 2 });
  return deps.store.commit(dir, 'model', { stage: `m${seed}` });
}

describe('merge activity', () => {
  it('commits a model artifact naming every input, its weight, the base, the method and its settings', async () => {
    const deps = await stageDeps();
    const [a, b, base] = await Promise.all([1, 2, 3].map((s) => modelArtifact(deps, s)));
    const inputs: StageInput[] = [inputOf('a', 'model', a!), inputOf('b', 'model', b!), { ...inputOf('base', 'model', base!), role: 'base' }];
    const settings = { method: 'ties', base: 'base', weights: { b: 0.5 }, density: 0.5, lambda: 1, normalize: true };
    const result = await runStage(createMerge(deps), stageRequest('m', 'merge', settings, inputs, 9));
    expect(result.metrics).toMatchObject({ models: 2, kept_fraction: 0.5 });
    const out = result.outputs[0]!;
    expect(out.port).toBe('model');
    expect(out.artifact.meta).toMatchObject({
      method: 'ties',
      settings,
      models: [{ stage: 'a', artifact: a!.id, weight: 1 }, { stage: 'b', artifact: b!.id, weight: 0.5 }],
      base: { stage: 'base', artifact: base!.id },
      seed: 9,
    });
    const meta = JSON.parse(await readFile(path.join(deps.store.dir(out.artifact.id), 'model.json'), 'utf8')) as unknown;
    expect(meta).toMatchObject({ format: 'braise.model/v1', merge: { method: 'ties', base: 'base' } });
  });

  it('fails models of different shapes as non-retryable, naming the tensor', async () => {
    const deps = await stageDeps();
    const a = await modelArtifact(deps, 1);
    const wide = await modelArtifact(deps, 2, { ...CONFIG, dModel: 16 });
    const req = stageRequest('m', 'merge', { method: 'linear', weights: {}, normalize: true }, [inputOf('a', 'model', a), inputOf('wide', 'model', wide)]);
    const err = await runStage(createMerge(deps), req).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toBe(`merge "m": models do not fit together: tensor 'wte' is [257, 8] in "a" and [257, 16] in "wide"`);
  });

  it('refuses a plan whose task-vector merge lacks its base', async () => {
    const deps = await stageDeps();
    const a = await modelArtifact(deps, 1);
    const req = stageRequest('m', 'merge', { method: 'task-arithmetic', base: 'base', weights: {}, lambda: 1, normalize: false }, [inputOf('a', 'model', a)]);
    const err = await runStage(createMerge(deps), req).then(() => null, (e: unknown) => e);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toBe('merge "m": task-arithmetic needs its base model "base" among its inputs');
  });
});
