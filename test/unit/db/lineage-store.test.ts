import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../infra/db/client.ts';
import { LineageStore } from '../../../infra/db/lineage.ts';
import { artifacts, edges, metrics, runs, steps, trainingOrder } from '../../../infra/db/schema.ts';
import { testDatabases } from './databases.ts';
import { OPEN_TIMEOUT_MS, runStage, seedRun, sha } from './fixtures.ts';

describe.each(testDatabases())('LineageStore on $name', (target) => {
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

  async function rowCounts() {
    const n = async (table: typeof runs | typeof steps | typeof artifacts | typeof edges | typeof metrics | typeof trainingOrder) =>
      (await database.db.select({ n: count() }).from(table))[0]?.n;
    return {
      runs: await n(runs),
      steps: await n(steps),
      artifacts: await n(artifacts),
      edges: await n(edges),
      metrics: await n(metrics),
      trainingOrder: await n(trainingOrder),
    };
  }

  it('repeats every write without duplicating rows', async () => {
    const before = await rowCounts();
    const raw = sha('idem-raw');
    const kept = sha('idem-kept');
    const writeAll = async () => {
      await seedRun(store, 'idem-run');
      await store.setRunStatus('idem-run', 'running');
      await runStage(store, { runId: 'idem-run', stageId: 'ingest', kind: 'ingest', outputs: { out: [raw, 'dataset'] } });
      await runStage(store, {
        runId: 'idem-run',
        stageId: 'clean',
        kind: 'filter',
        inputs: { in: raw },
        outputs: { kept: [kept, 'dataset'] },
        metrics: { kept: 10 },
      });
      await store.recordMetrics('idem-run', 'clean', 'loss', [
        [1, 2.5],
        [2, 2.0],
      ]);
      await store.recordTrainingOrder([
        { runId: 'idem-run', stageId: 'clean', checkpointStep: 0, seq: 0, datasetArtifactId: kept, docId: 'd1', tokenStart: 0, tokenEnd: 64 },
      ]);
      await store.setRunStatus('idem-run', 'completed');
    };
    await writeAll();
    const once = await rowCounts();
    await writeAll();
    expect(await rowCounts()).toEqual(once);
    expect(once).toEqual({
      runs: before.runs! + 1,
      steps: before.steps! + 2,
      artifacts: before.artifacts! + 2,
      edges: before.edges! + 3,
      metrics: before.metrics! + 2,
      trainingOrder: before.trainingOrder! + 1,
    });
    expect(await store.getRun('idem-run')).toMatchObject({ status: 'completed', error: null, recipeName: 'tulu3-mini' });
    const steps1 = await store.stepsForRun('idem-run');
    expect(steps1.map((s) => [s.stageId, s.status, s.inputs, s.outputs])).toEqual([
      ['ingest', 'completed', [], [{ port: 'out', artifactId: raw }]],
      ['clean', 'completed', [{ port: 'in', artifactId: raw }], [{ port: 'kept', artifactId: kept }]],
    ]);
  });

  it('keeps a begun step as it is when beginStep is retried after it finished', async () => {
    await seedRun(store, 'retry-run');
    const out = sha('retry-out');
    await runStage(store, { runId: 'retry-run', stageId: 's', kind: 'filter', cacheKey: 'k-retry', outputs: { kept: [out, 'dataset'] } });
    const id = await store.beginStep({ runId: 'retry-run', stageId: 's', kind: 'filter', attempt: 1, cacheKey: 'k-retry', queue: 'braise-cpu' });
    expect(id).toBe('retry-run/s/1');
    const [step] = await store.stepsForRun('retry-run');
    expect(step).toMatchObject({ id, status: 'completed', cacheKey: 'k-retry' });
    expect(step?.finishedAt).toBeInstanceOf(Date);
    expect(step?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses to finish a step that was never begun, or that names an unrecorded artifact', async () => {
    await seedRun(store, 'bad-run');
    await expect(
      store.finishStep({ runId: 'bad-run', stageId: 'nope', attempt: 1, status: 'completed', inputs: [], outputs: [] }),
    ).rejects.toThrow('finishStep bad-run/nope/1: no such step; call beginStep first');
    await store.beginStep({ runId: 'bad-run', stageId: 'x', kind: 'filter', attempt: 1, cacheKey: 'k', queue: 'q' });
    await expect(
      store.finishStep({
        runId: 'bad-run',
        stageId: 'x',
        attempt: 1,
        status: 'completed',
        inputs: [],
        outputs: [{ port: 'kept', artifactId: 'missing' }],
      }),
    ).rejects.toThrow('finishStep bad-run/x/1: outputs[0] (port kept) names artifact missing, which is not recorded');
    const [step] = await store.stepsForRun('bad-run');
    expect(step).toMatchObject({ stageId: 'x', status: 'running', outputs: [] });
  });

  it('setRunStatus records the error and when the run ended, and names an unknown run', async () => {
    await seedRun(store, 'status-run');
    await store.setRunStatus('status-run', 'paused', 'stage base failed: OOM');
    expect(await store.getRun('status-run')).toMatchObject({ status: 'paused', error: 'stage base failed: OOM', finishedAt: null });
    await store.setRunStatus('status-run', 'failed', 'gave up');
    const failed = await store.getRun('status-run');
    expect(failed).toMatchObject({ status: 'failed', error: 'gave up' });
    expect(failed?.finishedAt).toBeInstanceOf(Date);
    await expect(store.setRunStatus('no-such-run', 'failed')).rejects.toThrow('setRunStatus: no run with id "no-such-run"');
    expect(await store.getRun('no-such-run')).toBeNull();
  });

  it('a late "running" upsert does not revive a run that ended (terminated from outside while its first activity ran)', async () => {
    await seedRun(store, 'ended-run');
    await store.setRunStatus('ended-run', 'failed', 'terminated: stopped by an operator');
    const ended = await store.getRun('ended-run');
    await seedRun(store, 'ended-run');
    expect(await store.getRun('ended-run')).toMatchObject({ status: 'failed', error: 'terminated: stopped by an operator', finishedAt: ended!.finishedAt });
    // A paused run does go back to running.
    await seedRun(store, 'paused-run');
    await store.setRunStatus('paused-run', 'paused', 'stage base failed');
    await seedRun(store, 'paused-run');
    expect(await store.getRun('paused-run')).toMatchObject({ status: 'running', finishedAt: null });
  });

  it('findCachedOutputs returns the newest completed step, ignoring failed and cached ones', async () => {
    const key = sha('cache-key');
    expect(await store.findCachedOutputs(key)).toBeNull();
    const [a, b] = [sha('cache-a'), sha('cache-b')];
    await seedRun(store, 'cache-1');
    await seedRun(store, 'cache-2');
    await seedRun(store, 'cache-3');
    await runStage(store, { runId: 'cache-1', stageId: 'base', kind: 'pretrain', cacheKey: key, outputs: { model: [a, 'model'] }, metrics: { loss: 3 } });
    await runStage(store, { runId: 'cache-2', stageId: 'base', kind: 'pretrain', cacheKey: key, outputs: { model: [b, 'model'] }, metrics: { loss: 2 } });
    // Later than both: a failed attempt and a cached reuse that points back at `a`.
    await runStage(store, { runId: 'cache-3', stageId: 'base', kind: 'pretrain', cacheKey: key, status: 'failed' });
    await runStage(store, { runId: 'cache-3', stageId: 'base', kind: 'pretrain', attempt: 2, cacheKey: key, status: 'cached', outputs: { model: [a, 'model'] } });
    const hit = await store.findCachedOutputs(key);
    expect(hit).toMatchObject({ stepId: 'cache-2/base/1', runId: 'cache-2', metrics: { loss: 2 } });
    expect(hit?.outputs.map((o) => [o.port, o.artifact.id, o.artifact.kind])).toEqual([['model', b, 'model']]);
    expect(await store.getArtifact(b)).toEqual(hit?.outputs[0]?.artifact);
  });

  it('listRuns pages newest first with a cursor and filters by recipe and status', async () => {
    const ids = ['page-1', 'page-2', 'page-3', 'page-4', 'page-5'];
    for (const id of ids) await seedRun(store, id, 'paging-recipe');
    await store.setRunStatus('page-2', 'completed');
    await store.setRunStatus('page-4', 'completed');

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listRuns({ recipe: 'paging-recipe', limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual([...ids].reverse());
    expect(pages).toBe(3);

    const done = await store.listRuns({ recipe: 'paging-recipe', status: 'completed' });
    expect(done).toEqual({ runs: [expect.objectContaining({ id: 'page-4' }), expect.objectContaining({ id: 'page-2' })], nextCursor: null });
    await expect(store.listRuns({ cursor: 'not-a-cursor' })).rejects.toThrow('listRuns: cursor "not-a-cursor" is not a cursor');
    await expect(store.listRuns({ limit: 0 })).rejects.toThrow('listRuns: limit must be an integer in 1..500, got 0');
  });

  it("records a run's schedule from its options and lists a schedule's runs", async () => {
    const run = (id: string, options: Record<string, unknown>) =>
      store.upsertRun({ id, workflowId: `wf-${id}`, recipeName: 'sched-recipe', recipeHash: sha('sched'), plan: { stages: [] }, options, status: 'running' });
    await run('sched-1', { noCache: false, schedule: 'nightly' });
    await run('sched-2', { noCache: false });
    await run('sched-3', { noCache: false, schedule: 'nightly' });
    await run('sched-4', { noCache: false, schedule: 'weekly' });
    // The workflow's own upsert of the same run (options unchanged) keeps it.
    await run('sched-1', { noCache: false, schedule: 'nightly' });
    expect((await store.listRuns({ schedule: 'nightly' })).runs.map((r) => r.id)).toEqual(['sched-3', 'sched-1']);
    expect((await store.listRuns({ schedule: 'weekly', recipe: 'sched-recipe' })).runs.map((r) => r.id)).toEqual(['sched-4']);
    expect((await store.listRuns({ schedule: 'none' })).runs).toEqual([]);
    expect((await store.getRun('sched-2'))?.schedule).toBeNull();
    expect((await store.getRun('sched-3'))?.schedule).toBe('nightly');
  });

  it('round-trips metric curves, with a re-recorded step taking its new value', async () => {
    await seedRun(store, 'metrics-run');
    const loss: Array<[number, number]> = Array.from({ length: 1500 }, (_, i) => [i + 1, 5 / Math.sqrt(i + 1)]);
    await store.recordMetrics('metrics-run', 'base', 'train/loss', loss);
    await store.recordMetrics('metrics-run', 'base', 'lr', [[1, 0.001], [2, 0.002]]);
    await store.recordMetrics('metrics-run', 'sft', 'train/loss', [[10, 1.5], [20, 1.25]]);
    // A resumed trainer re-logs steps 20..21 from its checkpoint.
    await store.recordMetrics('metrics-run', 'sft', 'train/loss', [[20, 1.2], [21, 1.1]]);

    const all = await store.metricsForRun('metrics-run');
    expect(all.map((s) => [s.stage, s.name, s.points.length])).toEqual([
      ['base', 'lr', 2],
      ['base', 'train/loss', 1500],
      ['sft', 'train/loss', 3],
    ]);
    expect(all[1]?.points).toEqual(loss);
    expect(await store.metricsForRun('metrics-run', { stage: 'sft', name: 'train/loss' })).toEqual([
      { stage: 'sft', name: 'train/loss', producedBy: { runId: 'metrics-run', stageId: 'sft' }, points: [[10, 1.5], [20, 1.2], [21, 1.1]] },
    ]);
    await expect(store.recordMetrics('metrics-run', 'base', 'x', [[1.5, 1]])).rejects.toThrow(
      'recordMetrics metrics-run/base/x: points[0][0] (step) must be an integer, got 1.5',
    );
  });

  it('records training order and answers which checkpoints saw a document', async () => {
    await seedRun(store, 'order-run');
    const ds = sha('order-ds');
    await store.recordArtifact({ id: ds, kind: 'dataset', uri: 'file:///ds', bytes: 10, meta: {} });
    const row = (checkpointStep: number, seq: number, docId: string, tokenStart: number) => ({
      runId: 'order-run', stageId: 'base', checkpointStep, seq, datasetArtifactId: ds, docId, tokenStart, tokenEnd: tokenStart + 64,
    });
    await store.recordTrainingOrder([row(50, 0, 'doc-a', 0), row(50, 1, 'doc-b', 0), row(100, 0, 'doc-a', 64)]);
    expect((await store.trainingOrderForDocument(ds, 'doc-a')).map((r) => [r.checkpointStep, r.tokenStart])).toEqual([
      [50, 0],
      [100, 64],
    ]);
    expect(await store.trainingOrderForDocument(ds, 'doc-z')).toEqual([]);
  });

  // The reads sweeps need: a sweep's cells are the runs whose options name it as their parent, in cell order; a
  // scheduled sweep's previous report is the newest sweep report of the same schedule recorded by a run created
  // before this one (never its own, never another schedule's).
  const sweepRun = async (id: string, options: Record<string, unknown> = { noCache: false }) => {
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
    await sweepRun('sweep-a');
    for (const cell of [2, 10, 1]) await sweepRun(`sweep-a-c${cell}`, { noCache: false, parent: { runId: 'sweep-a', cell } });
    await sweepRun('other-c1', { noCache: false, parent: { runId: 'other', cell: 1 } });
    expect((await store.childRuns('sweep-a')).map((r) => r.id)).toEqual(['sweep-a-c1', 'sweep-a-c2', 'sweep-a-c10']);
    expect(await store.childRuns('nobody')).toEqual([]);
  });

  it("finds the previous report of the same schedule, by when its run was created", async () => {
    await sweepRun('night-1');
    await sweepRun('night-x');
    await sweepRun('night-2');
    await sweepRun('night-3');
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
    await sweepRun('by-hand');
    await report('by-hand', null);
    await sweepRun('night-4');
    expect((await store.previousSweepReport('nightly', 'night-4'))?.runId).toBe('night-3');
  });

  // Single flight's claims (stage_claims): one run claims a cache key, the others are told who holds it; the holder
  // releases it; a takeover of an abandoned claim is won by one caller only.
  describe('stage claims', () => {
    const a = { runId: 'r-a', workflowId: 'wf-a', stageId: 'clean' };
    const b = { runId: 'r-b', workflowId: 'wf-b', stageId: 'clean' };
    const c = { runId: 'r-c', workflowId: 'wf-c', stageId: 'filtered' };

    it('claims a key once: concurrent claimers all see the same holder, a repeated claim by it keeps it', async () => {
      const key = sha('claim-once');
      const holders = await Promise.all([store.claimStage(key, a), store.claimStage(key, b), store.claimStage(key, c)]);
      const [first] = holders;
      expect(holders).toEqual([first, first, first]);
      expect(await store.claimStage(key, first!)).toEqual(first);
      expect(await store.stageClaim(key)).toEqual(first);
    });

    it('a release by another run or stage changes nothing; the holder’s frees the key for the next claimer', async () => {
      const key = sha('claim-release');
      expect(await store.claimStage(key, a)).toEqual(a);
      await store.releaseStageClaim(key, b.runId, a.stageId);
      await store.releaseStageClaim(key, a.runId, 'other-stage');
      expect(await store.claimStage(key, b)).toEqual(a);
      await store.releaseStageClaim(key, a.runId, a.stageId);
      await store.releaseStageClaim(key, a.runId, a.stageId);
      expect(await store.stageClaim(key)).toBeNull();
      expect(await store.claimStage(key, b)).toEqual(b);
    });

    it('an abandoned claim is taken over by one of the callers that race for it', async () => {
      const key = sha('claim-takeover');
      await store.claimStage(key, a);
      const moved = await Promise.all([store.takeOverStageClaim(key, a, b), store.takeOverStageClaim(key, a, c)]);
      expect(moved.filter(Boolean)).toHaveLength(1);
      const winner = moved[0] ? b : c;
      expect(await store.stageClaim(key)).toEqual(winner);
      // The old holder's late release no longer touches the new holder's claim.
      await store.releaseStageClaim(key, a.runId, a.stageId);
      expect(await store.stageClaim(key)).toEqual(winner);
    });
  });
});
