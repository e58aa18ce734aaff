/**
 * A mixture search's child runs follow their parent: cancelling the parent while its proxies train cancels
 * them, and resuming the parent re-attaches to the proxies under the same keys, starts the cancelled ones again
 * (the next id of their key) and completes, every proxy run in lineage naming its parent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type BraiseRuntime } from '../../infra/runtime.ts';
import { createRunService } from '../../infra/service.ts';
import type { RunService } from '../../service/contract.ts';
import { testHome, waitForRun, type TestHome } from './harness.ts';

const RECIPE = `
apiVersion: braise/v1
name: mixcancel
seed: 2
model: { layers: 1, dModel: 16, heads: 2, context: 16 }
datasets:
  web: { source: builtin:brown, genres: [m, r] }
  fiction: { source: builtin:brown, genres: [k] }
stages:
  - id: search
    kind: mixsearch
    inputs: [web]
    with:
      target: fiction
      proxies: 4
      heldOut: 2
      candidates: 200
      evalDocsPerDomain: 2
      model: { layers: 1, dModel: 16, heads: 2, context: 16 }
      train: { steps: 6, batchSize: 4 }
`;

describe('mixsearch child runs', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let service: RunService;
  const children = async () => (await rt.lineage.listRuns({ limit: 100 })).runs.filter((r) => r.recipeName.startsWith('mixcancel-search-proxy-'));

  beforeAll(async () => {
    home = await testHome('pglite');
    rt = await openRuntime({ config: home.config, queues: ['control', 'cpu', 'gpu'] });
    service = createRunService(rt);
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('are cancelled with their parent, and a resumed parent finishes them', async () => {
    const { runId } = await service.startRun({ recipe: RECIPE });
    const deadline = Date.now() + 120_000;
    while ((await children()).length < 4) {
      if (Date.now() > deadline) throw new Error('the proxies never started');
      await new Promise((r) => setTimeout(r, 300));
    }
    await service.cancel(runId);
    expect((await service.awaitRun!(runId)).status).toBe('cancelled');
    for (const c of await children()) {
      const v = await waitForRun(service, c.id, (x) => x.status !== 'running', { timeoutMs: 60_000 });
      expect(['cancelled', 'completed']).toContain(v.status);
      expect(c.options).toMatchObject({ parent: { runId, stageId: 'search' } });
    }
    const cancelled = (await children()).filter((c) => c.status === 'cancelled').map((c) => c.id);
    expect(cancelled.length).toBeGreaterThan(0);

    const resumed = await service.resume(runId, {});
    const done = await service.awaitRun!(resumed.runId);
    expect(done.status).toBe('completed');
    const after = await children();
    // The cancelled proxies were started again under new ids; the finished ones were found, not trained again.
    expect(after.length).toBe(4 + cancelled.length);
    expect(after.filter((c) => c.status === 'completed')).toHaveLength(4);
    for (const c of after.filter((c) => !cancelled.includes(c.id) && c.status === 'completed')) {
      expect(c.options).toMatchObject({ parent: { stageId: 'search' } });
    }
  });
});
