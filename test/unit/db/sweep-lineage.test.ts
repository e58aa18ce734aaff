/**
 * The lineage reads sweeps need, on PGlite (and Postgres when DATABASE_URL is set): a sweep's cells are the runs whose
 * options name it as their parent, in cell order; a scheduled sweep's previous report is the newest sweep report of
 * the same schedule recorded by a run created before this one (never its own, never another schedule's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../infra/db/client.ts';
import { LineageStore } from '../../../infra/db/lineage.ts';
import { testDatabases } from './databases.ts';
import { OPEN_TIMEOUT_MS, sha } from './fixtures.ts';

describe.each(testDatabases())('sweep lineage on $name', (target) => {
  let database: Database;
  let store: LineageStore;
  let cleanup: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const t = await target.create();
    cleanup = t.cleanup;
    database = await t.open();
    store = new LineageStore(database);
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await cleanup?.();
  });

  const run = async (id: string, options: Record<string, unknown> = { noCache: false }) => {
    await store.upsertRun({ id, workflowId: `wf-${id}`, recipeName: 'grid', recipeHash: sha('grid'), plan: { nodes: [] }, options, status: 'running' });
    // Distinct creation times, whatever the clock's resolution.
    await new Promise((r) => setTimeout(r, 5));
  };
  const report = async (runId: string, schedule: string | null) => {
    const id = sha(`report-${runId}`);
    await store.recordArtifact({ id, kind: 'report', uri: `file:///a/${id}`, bytes: 10, meta: { kind: 'sweep-report', runId, recipe: 'grid', ...(schedule && { schedule }) } });
    return id;
  };

  it("lists a sweep's cells in cell order", async () => {
    await run('sweep-a');
    for (const cell of [2, 10, 1]) await run(`sweep-a-c${cell}`, { noCache: false, parent: { runId: 'sweep-a', cell } });
    await run('other-c1', { noCache: false, parent: { runId: 'other', cell: 1 } });
    expect((await store.childRuns('sweep-a')).map((r) => r.id)).toEqual(['sweep-a-c1', 'sweep-a-c2', 'sweep-a-c10']);
    expect(await store.childRuns('nobody')).toEqual([]);
  });

  it("finds the previous report of the same schedule, by when its run was created", async () => {
    await run('night-1');
    await run('night-x');
    await run('night-2');
    await run('night-3');
    // Recorded out of order: night-2's report lands after night-3's own.
    const r1 = await report('night-1', 'nightly');
    await report('night-x', 'weekly');
    await report('night-3', 'nightly');
    const r2 = await report('night-2', 'nightly');
    expect(await store.previousSweepReport('nightly', 'night-3')).toEqual({ artifactId: r2, runId: 'night-2' });
    expect(await store.previousSweepReport('nightly', 'night-2')).toEqual({ artifactId: r1, runId: 'night-1' });
    expect(await store.previousSweepReport('nightly', 'night-1')).toBeNull();
    expect(await store.previousSweepReport('weekly', 'night-3')).toEqual({ artifactId: sha('report-night-x'), runId: 'night-x' });
    // An unscheduled report is nobody's previous one.
    await run('by-hand');
    await report('by-hand', null);
    await run('night-4');
    expect((await store.previousSweepReport('nightly', 'night-4'))?.runId).toBe('night-3');
  });
});
