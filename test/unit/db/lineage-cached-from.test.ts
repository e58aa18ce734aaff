/**
 * A cached step names the step that computed its outputs, so a run whose stages
 * came from the cache still has curves: metricsForRun follows the link and says
 * whose curve each series is; stepsForRun and findCachedOutputs name the producer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../infra/db/client.ts';
import { LineageStore } from '../../../infra/db/lineage.ts';
import { testDatabases } from './databases.ts';
import { OPEN_TIMEOUT_MS, runStage, seedRun, sha } from './fixtures.ts';

describe.each(testDatabases())('cached steps on $name', (target) => {
  let database: Database;
  let store: LineageStore;
  let cleanup: (() => Promise<void>) | undefined;
  const model = sha('cf-model');
  const data = sha('cf-data');
  const key = sha('cf-key');

  beforeAll(async () => {
    const t = await target.create();
    cleanup = t.cleanup;
    database = await t.open();
    store = new LineageStore(database);
    // run A computes `base` (a loss curve and a mixture weight curve); run B takes it from the cache as `trained`.
    await seedRun(store, 'cf-a');
    await runStage(store, { runId: 'cf-a', stageId: 'web', kind: 'ingest', outputs: { data: [data, 'dataset'] } });
    await runStage(store, { runId: 'cf-a', stageId: 'base', kind: 'pretrain', cacheKey: key, inputs: { in: data }, outputs: { model: [model, 'model'] } });
    await store.recordMetrics('cf-a', 'base', 'train/loss', [[1, 3], [2, 2.5], [3, 2]]);
    await store.recordMetrics('cf-a', 'base', 'mixture/news', [[2, 0.5]]);
    await seedRun(store, 'cf-b');
    const hit = (await store.findCachedOutputs(key))!;
    expect(hit).toMatchObject({ stepId: 'cf-a/base/1', runId: 'cf-a', stageId: 'base' });
    // B's first attempt at the stage failed after recording a point; its second round was a cache hit.
    await runStage(store, { runId: 'cf-b', stageId: 'trained', kind: 'pretrain', cacheKey: key, status: 'failed', inputs: { in: data } });
    await store.recordMetrics('cf-b', 'trained', 'train/loss', [[1, 9]]);
    await store.beginStep({ runId: 'cf-b', stageId: 'trained', kind: 'pretrain', attempt: 2, cacheKey: key, queue: 'braise-gpu' });
    await store.finishStep({
      runId: 'cf-b',
      stageId: 'trained',
      attempt: 2,
      status: 'cached',
      inputs: [{ port: 'in', artifactId: data }],
      outputs: [{ port: 'model', artifactId: model }],
      cachedFrom: hit.stepId,
    });
    await store.recordMetrics('cf-b', 'own', 'train/loss', [[1, 7]]);
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await cleanup?.();
  });

  it("serves a cached stage's curves from the run that computed it, saying so", async () => {
    expect(await store.metricsForRun('cf-b')).toEqual([
      { stage: 'own', name: 'train/loss', producedBy: { runId: 'cf-b', stageId: 'own' }, points: [[1, 7]] },
      { stage: 'trained', name: 'mixture/news', producedBy: { runId: 'cf-a', stageId: 'base' }, points: [[2, 0.5]] },
      { stage: 'trained', name: 'train/loss', producedBy: { runId: 'cf-a', stageId: 'base' }, points: [[1, 3], [2, 2.5], [3, 2]] },
    ]);
    expect(await store.metricsForRun('cf-b', { stage: 'trained', name: 'train/loss' })).toEqual([
      { stage: 'trained', name: 'train/loss', producedBy: { runId: 'cf-a', stageId: 'base' }, points: [[1, 3], [2, 2.5], [3, 2]] },
    ]);
    expect(await store.metricsForRun('cf-b', { stage: 'base' })).toEqual([]);
    // The producing run's own view is unchanged.
    expect((await store.metricsForRun('cf-a')).map((s) => [s.stage, s.name, s.producedBy.runId])).toEqual([
      ['base', 'mixture/news', 'cf-a'],
      ['base', 'train/loss', 'cf-a'],
    ]);
  });

  it('names the producing run and stage on the cached step, and only there', async () => {
    const steps = await store.stepsForRun('cf-b');
    expect(steps.map((s) => [s.stageId, s.attempt, s.status, s.cachedFrom])).toEqual([
      ['trained', 1, 'failed', null],
      ['trained', 2, 'cached', { runId: 'cf-a', stageId: 'base' }],
    ]);
    expect((await store.stepsForRun('cf-a')).every((s) => s.cachedFrom === null)).toBe(true);
    // A cached step is never itself a cache source.
    expect(await store.findCachedOutputs(key)).toMatchObject({ stepId: 'cf-a/base/1' });
  });

  it('refuses cachedFrom on a step that is not cached, changing nothing', async () => {
    await store.beginStep({ runId: 'cf-b', stageId: 'other', kind: 'filter', attempt: 1, cacheKey: sha('x'), queue: 'braise-cpu' });
    await expect(
      store.finishStep({ runId: 'cf-b', stageId: 'other', attempt: 1, status: 'completed', inputs: [], outputs: [], cachedFrom: 'cf-a/base/1' }),
    ).rejects.toThrow('finishStep cf-b/other/1: cachedFrom is only for cached steps, not completed');
    expect((await store.stepsForRun('cf-b')).find((s) => s.stageId === 'other')?.status).toBe('running');
  });
});
