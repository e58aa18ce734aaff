import { describe, expect, it } from 'vitest';
import { createRewrite } from '../../../activities/rewrite/activity.ts';
import { ruleFractionScorer } from '../../../activities/rewrite/score.ts';
import { readDatasetAll, writeDataset } from '../../../datasets/dataset.ts';
import type { Doc } from '../../../datasets/types.ts';
import { rewriteWith } from '../../../recipe/stage-with.ts';
import { startOpenAiServer } from '../../support/openai-server.ts';
import { freshModelDir } from './model-dir.ts';
import { inputOf, runStage, stageDeps, stageRequest, tempDir } from './stage-env.ts';

const rejected: Doc[] = [
  { id: 'r1', text: 'Home | News | Contact\nthe bridge  reopened on monday ,after two weeks of repairs', domain: 'news', meta: { rejectedBy: 'gopher-quality', rejectionReason: 'gopher_short_doc' } },
  { id: 'r2', text: 'Accept all cookies\n© 2024 Foo', domain: 'news' },
  { id: 'r3', text: 'prices rose by 3% in may!!! analysts expected less', domain: 'markets' },
];

/** A deterministic stand-in for the quality classifier: longer texts score higher, in [0, 1). */
const lengthScore = (text: string): number => text.length / (text.length + 50);

async function withRejected() {
  const deps = await stageDeps();
  const data = await writeDataset(deps.store, rejected);
  return { deps, input: inputOf('clean', 'rejected', data) };
}

describe('rewrite activity', () => {
  it('rules engine: writes `rewritten` with source ids and reports counts and mean scores', async () => {
    const { deps, input } = await withRejected();
    const req = stageRequest('recycle', 'rewrite', rewriteWith.parse({}), [input]);
    const result = await runStage(createRewrite(deps, { scorer: () => lengthScore }), req);
    expect(result.outputs.map((o) => o.port)).toEqual(['rewritten']);
    const docs = await readDatasetAll(deps.store, result.outputs[0]!.artifact.id);
    expect(docs).toEqual([
      { id: 'rewrite:r1', text: 'The bridge reopened on monday, after two weeks of repairs.', domain: 'news', meta: { sourceId: 'r1', engine: 'rules', score: lengthScore('The bridge reopened on monday, after two weeks of repairs.') } },
      { id: 'rewrite:r3', text: 'Prices rose by 3% in may! Analysts expected less.', domain: 'markets', meta: { sourceId: 'r3', engine: 'rules', score: lengthScore('Prices rose by 3% in may! Analysts expected less.') } },
    ]);
    const before = rejected.map((d) => lengthScore(d.text));
    expect(result.metrics).toMatchObject({ docs: 3, rewritten: 2, failed: 1, kept: 2, kept_fraction: 2 / 3 });
    expect(result.metrics['score_before']).toBeCloseTo(before.reduce((a, b) => a + b, 0) / 3, 12);
    expect(result.metrics['score_after']).toBeCloseTo((docs[0]!.meta!['score'] as number) / 2 + (docs[1]!.meta!['score'] as number) / 2, 12);
  });

  it('applies keepTopFraction from the settings, and scores with the rule-pass fraction by default', async () => {
    const { deps, input } = await withRejected();
    const top = await runStage(createRewrite(deps, { scorer: () => lengthScore }), stageRequest('recycle', 'rewrite', rewriteWith.parse({ keepTopFraction: 0.5 }), [input]));
    expect((await readDatasetAll(deps.store, top.outputs[0]!.artifact.id)).map((d) => d.id)).toEqual(['rewrite:r1']);
    const byDefault = await runStage(createRewrite(deps), stageRequest('recycle', 'rewrite', rewriteWith.parse({ threshold: 0.9 }), [input]));
    // Short texts fail Gopher's 50-word minimum, so none passes every rule.
    expect(byDefault.metrics).toMatchObject({ rewritten: 2, kept: 0 });
    const ruleScore = ruleFractionScorer();
    expect(byDefault.metrics['score_before']).toBeCloseTo(rejected.reduce((a, d) => a + (ruleScore(d.text) as number), 0) / 3, 12);
    expect(byDefault.metrics['score_after']).toBeUndefined();
  });

  it('model engine: generates with the stage’s model input in a child process', async () => {
    const { deps, input } = await withRejected();
    const model = await deps.store.commit(await freshModelDir(await tempDir()), 'model', { stage: 'base' });
    const settings = { ...rewriteWith.parse({ engine: 'model' }), maxNewTokens: 8 };
    const run = () => runStage(createRewrite(deps, { scorer: () => lengthScore }), stageRequest('recycle', 'rewrite', settings, [input, inputOf('base', 'model', model)]));
    const result = await run();
    const docs = await readDatasetAll(deps.store, result.outputs[0]!.artifact.id);
    expect(result.metrics['docs']).toBe(3);
    for (const d of docs) expect(d.meta).toMatchObject({ engine: 'model', sourceId: d.id.replace(/^rewrite:/, '') });
    // Seeded by the recipe seed: a retry writes the same dataset.
    expect((await run()).outputs[0]!.artifact.id).toBe(result.outputs[0]!.artifact.id);
  });

  it('openai engine: rewrites through the endpoint named in the settings', async () => {
    const { deps, input } = await withRejected();
    const server = await startOpenAiServer({ modelDir: await freshModelDir(await tempDir()), modelName: 'tiny' });
    try {
      const settings = rewriteWith.parse({ engine: 'openai', baseUrl: server.url, modelName: 'tiny', concurrency: 2 });
      const result = await runStage(createRewrite(deps, { scorer: () => lengthScore }), stageRequest('recycle', 'rewrite', settings, [input]));
      expect(server.stats.chatRequests).toBe(3);
      expect(server.stats.maxInFlight).toBeLessThanOrEqual(2);
      expect(server.bodies[0]).toMatchObject({ model: 'tiny', seed: 5 });
      expect(result.metrics['docs']).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('fails permanently, naming the stage and the missing setting', async () => {
    const { deps, input } = await withRejected();
    const run = (settings: Record<string, unknown>) => runStage(createRewrite(deps), stageRequest('recycle', 'rewrite', settings, [input]));
    await expect(run(rewriteWith.parse({ engine: 'model' }))).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringContaining('rewrite "recycle": engine \'model\' needs a model'),
    });
    await expect(run(rewriteWith.parse({ engine: 'model', model: 'f'.repeat(64) }))).rejects.toMatchObject({ nonRetryable: true, message: expect.stringContaining(`artifact ${'f'.repeat(64)} not found`) });
    // The recipe schema refuses this already; the activity still guards settings that reach it another way.
    expect(rewriteWith.safeParse({ engine: 'openai', modelName: 'x' }).error?.issues[0]?.message).toBe('engine "openai" needs baseUrl and modelName');
    // (stageActivity parses the settings with the kind's schema, so the schema's own message names the field.)
    await expect(run({ ...rewriteWith.parse({}), engine: 'openai', modelName: 'x' })).rejects.toMatchObject({ nonRetryable: true, message: 'rewrite "recycle": with.baseUrl: engine "openai" needs baseUrl and modelName' });
  });
});
