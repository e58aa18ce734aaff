/**
 * A mixture search's child runs follow their parent: cancelling the parent while its proxies train cancels
 * them, and resuming the parent re-attaches to the proxies under the same keys, starts the cancelled ones again
 * (the next id of their key) and completes, every proxy run in lineage naming its parent. A proxy the compiler
 * refuses fails the stage at once, naming the child and why.
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
    const status = async (id: string) => (await service.getRun(id)).status;
    const before = await children();
    const cancelled: string[] = [];
    for (const c of before) if ((await status(c.id)) === 'cancelled') cancelled.push(c.id);
    expect(cancelled.length).toBeGreaterThan(0);

    const resumed = await service.resume(runId, {});
    const done = await service.awaitRun!(resumed.runId);
    expect(done.status).toBe('completed');
    // Each proxy has exactly one completed run: a finished one was found, not trained again; a cancelled one was
    // started again under the next id of its key.
    const after = await children();
    for (let k = 0; k < 4; k++) {
      const runs = after.filter((c) => c.recipeName === `mixcancel-search-proxy-${k}`);
      const completed: string[] = [];
      for (const c of runs) if ((await status(c.id)) === 'completed') completed.push(c.id);
      expect(completed).toHaveLength(1);
      expect(cancelled).not.toContain(completed[0]);
      expect(runs.length).toBe(runs.some((c) => cancelled.includes(c.id)) ? 2 : 1);
    }
  });

  it('fail without retrying when the compiler refuses a proxy, naming the child and the issue', async () => {
    const huge = RECIPE.replace('name: mixcancel', 'name: mixhuge')
      .replace('model: { layers: 1, dModel: 16, heads: 2, context: 16 }\n      train: { steps: 6, batchSize: 4 }', 'model: { layers: 48, dModel: 4096, heads: 64, context: 4096 }\n      train: { steps: 6, batchSize: 4096 }');
    expect(huge).toContain('batchSize: 4096');
    const { runId } = await service.startRun({ recipe: huge, onFailure: 'fail' });
    const view = await service.awaitRun!(runId);
    expect(view.status).toBe('failed');
    const search = view.stages.find((s) => s.id === 'search')!;
    expect(search.attempts).toBe(1);
    expect(search.error).toMatch(/mixsearch "search": its child run mixhuge-search-proxy-\d is refused: .*memory/i);
  });
});
