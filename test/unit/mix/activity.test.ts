import { describe, expect, it } from 'vitest';
import { createMix } from '../../../activities/mix/activity.ts';
import { readDatasetAll, readManifest, writeDataset } from '../../../datasets/dataset.ts';
import type { Doc } from '../../../datasets/types.ts';
import { mixtureJobSchema } from '../../../ml/mixing/spec.ts';
import { mixWith } from '../../../recipe/stage-with.ts';
import { inputOf, runStage, stageDeps, stageRequest } from '../rewrite/stage-env.ts';

const news: Doc[] = Array.from({ length: 6 }, (_, i) => ({ id: `n${i}`, text: `news item ${i} `.padEnd(20, '-'), domain: 'news' })); // 6 × 20 B
const code: Doc[] = Array.from({ length: 3 }, (_, i) => ({ id: `c${i}`, text: `let x${i} = ${i};`.padEnd(40, ' '), domain: 'code' })); // 3 × 40 B

async function setup() {
  const deps = await stageDeps();
  const a = await writeDataset(deps.store, news, { meta: { port: 'data' } });
  const b = await writeDataset(deps.store, code, { meta: { port: 'data' } });
  return { deps, inputs: [inputOf('web', 'data', a), inputOf('github', 'data', b)] };
}

describe('mix activity', () => {
  it('writes the mixed dataset with per-domain token accounting in its manifest and metrics', async () => {
    const { deps, inputs } = await setup();
    const settings = mixWith.parse({ method: 'static', weights: { news: 1, code: 3 }, tokens: 240 });
    const result = await runStage(createMix(deps), stageRequest('blend', 'mix', settings, inputs));
    const out = result.outputs[0]!;
    expect(out.port).toBe('mixed');
    const manifest = await readManifest(deps.store, out.artifact.id);
    const mixture = manifest['mixture'] as Record<string, unknown>;
    expect(mixture).toMatchObject({ method: 'static', weights: { code: 0.75, news: 0.25 }, targetTokens: 240, seed: 5 });
    // Targets: code 180, news 60. Code takes its 3 docs (120), then one repeat (160); a fifth would
    // overshoot by as much as stopping undershoots (160 + 40/2 is not < 180). News takes 3 × 20 = 60.
    expect(mixture['tokensByDomain']).toEqual({ code: 160, news: 60 });
    expect(manifest.domains).toEqual({ code: { docs: 4, bytes: 160 }, news: { docs: 3, bytes: 60 } });
    const docs = await readDatasetAll(deps.store, out.artifact.id);
    expect(docs).toHaveLength(7);
    expect(result.metrics).toMatchObject({ 'weight/code': 0.75, 'weight/news': 0.25, 'tokens/code': 160, 'tokens/news': 60, tokens: 220, target_tokens: 240, docs: 7 });
    // Same request, same dataset (content-addressed id).
    const again = await runStage(createMix(deps), stageRequest('blend', 'mix', settings, inputs));
    expect(again.outputs[0]!.artifact.id).toBe(out.artifact.id);
  });

  it('passes the data through for online methods and records the spec for pretrain', async () => {
    const { deps, inputs } = await setup();
    const settings = mixWith.parse({ method: 'skill-it', updateEvery: 10, eta: 0.5 });
    const result = await runStage(createMix(deps), stageRequest('blend', 'mix', settings, inputs));
    const id = result.outputs[0]!.artifact.id;
    expect((await readDatasetAll(deps.store, id)).map((d) => d.id)).toEqual([...news, ...code].map((d) => d.id));
    const manifest = await readManifest(deps.store, id);
    expect(manifest['mixture']).toEqual({
      method: 'skill-it',
      online: true,
      spec: { method: 'skill-it', eta: 0.5, updateEvery: 10 },
      weights: { code: 0.5, news: 0.5 },
      tokensByDomain: { code: 120, news: 120 },
      targetTokens: 240,
      temperature: 2,
      updateEvery: 10,
      eta: 0.5,
      seed: 5,
    });
    expect(result.metrics).toMatchObject({ 'weight/news': 0.5, 'tokens/code': 120 });
    // The spec is what the trainer's mixture schema accepts.
    expect(mixtureJobSchema.parse((manifest['mixture'] as { spec: unknown }).spec)).toEqual({ method: 'skill-it', eta: 0.5, updateEvery: 10 });
  });

  it('refuses doremi, whose reference model only a pretrain stage can take', async () => {
    const { deps, inputs } = await setup();
    const settings = mixWith.parse({ method: 'doremi' });
    await expect(runStage(createMix(deps), stageRequest('blend', 'mix', settings, inputs))).rejects.toThrow(/with\.method: doremi needs a reference model; configure it on the pretrain stage/);
  });

  it('regmix passes the data through with initial weights from the settings and no trainer spec', async () => {
    const { deps, inputs } = await setup();
    const settings = mixWith.parse({ method: 'regmix', weights: { news: 3, code: 1 } });
    const result = await runStage(createMix(deps), stageRequest('blend', 'mix', settings, inputs));
    const mixture = (await readManifest(deps.store, result.outputs[0]!.artifact.id))['mixture'] as Record<string, unknown>;
    expect(mixture).toMatchObject({ method: 'regmix', online: true, weights: { code: 0.25, news: 0.75 } });
    expect(mixture['spec']).toBeUndefined();
  });

  it('fails permanently, naming the stage and field, for weights of an unknown domain', async () => {
    const { deps, inputs } = await setup();
    const settings = mixWith.parse({ method: 'static', weights: { news: 1, blogs: 1 } });
    await expect(runStage(createMix(deps), stageRequest('blend', 'mix', settings, inputs))).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringContaining(`mix "blend": with.weights.blogs: no input document has domain 'blogs' (domains: code, news)`),
    });
  });
});
