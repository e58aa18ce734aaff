/**
 * Single flight by cache key: two unrelated runs that need the same uncached stage at the same time compute it once
 * (one run claims the cache key in lineage and records one `completed` step; the other waits for it and takes its
 * outputs from the cache), on the real Temporal dev server and PGlite. When the run computing it is cancelled, or its
 * stage fails (the run failing or pausing), the waiting run does not hang: it runs the stage itself; a paused run
 * resumed then takes the stage from the cache.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRecipe, parseRecipeText } from '../../recipe/index.ts';
import { openRuntime, type BraiseRuntime } from '../../infra/runtime.ts';
import { awaitRunState, readRunState, startRun, type StartedRun } from '../../infra/temporal/runs.ts';
import { viewFromState } from '../../infra/run-view.ts';
import { renderRun } from '../../cli/render.ts';
import { progressQuery, resumeSignal } from '../../workflows/definitions.ts';
import type { RunState, StageState } from '../../workflows/state.ts';
import { testHome, type TestHome } from './harness.ts';
import { NOISE } from './recipes.ts';

/** Brown's science fiction and humor plus junk, the same filter; each recipe its own tiny pretrain (`base`). */
function recipe(name: string, base: string, extra = ''): string {
  return `apiVersion: braise/v1
name: ${name}
seed: 5
onFailure: fail
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [m, r] }
  noise: { source: "file:${NOISE}" }
stages:
  - id: clean
    kind: filter
    inputs: [web, noise]
    with: { rules: [gopher-quality, gopher-repetition] }
  - id: base
    kind: pretrain
    inputs: [clean]
    with: ${base}
${extra}`;
}

const plan = (text: string) => compileRecipe(parseRecipeText(text));

/** Polls the run's progress query until `pred` holds for one of its stages; returns that stage. */
async function untilStage(run: StartedRun, pred: (s: StageState) => boolean, what: string, timeoutMs = 60_000): Promise<StageState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await run.handle.query(progressQuery).catch(() => null);
    const hit = state?.stages.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(state?.stages.map((s) => [s.id, s.status]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** When the run scheduled the activity `activityId` (`<stage>#<round>`), from its history; null if it never did. */
async function scheduledAt(handle: WorkflowHandle, activityId: string): Promise<number | null> {
  const events = (await handle.fetchHistory()).events ?? [];
  const e = events.find((x) => x.activityTaskScheduledEventAttributes?.activityId === activityId);
  return e?.eventTime ? Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6) : null;
}

describe('a stage runs once across concurrent runs', () => {
  let home: TestHome;
  let rt: BraiseRuntime;

  beforeAll(async () => {
    home = await testHome('pglite');
    rt = await openRuntime({ config: home.config, queues: ['control', 'cpu', 'gpu'] });
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('two unrelated recipes sharing ingest and filter, started at once: each shared stage computed once, same artifacts', async () => {
    const a = plan(recipe('share-a', '{ steps: 5, batchSize: 4, lr: 1e-2, checkpointEvery: 5 }'));
    const b = plan(recipe('share-b', '{ steps: 6, batchSize: 4, lr: 3e-3, checkpointEvery: 6 }'));
    const [ra, rb] = await Promise.all([startRun(rt.client!, a, { noCache: false }), startRun(rt.client!, b, { noCache: false })]);
    // While one run ingests Brown, the other says whose execution it waits for.
    const waiting = await Promise.race([
      untilStage(ra, (s) => !!s.waitingOn, 'a waiting stage').then((s) => ({ run: ra, other: rb, s })),
      untilStage(rb, (s) => !!s.waitingOn, 'a waiting stage').then((s) => ({ run: rb, other: ra, s })),
    ]);
    expect(waiting.s.status).toBe('running');
    expect(waiting.s.waitingOn).toEqual({ runId: waiting.other.runId, stageId: waiting.s.id });

    const [sa, sb] = await Promise.all([awaitRunState(ra.handle), awaitRunState(rb.handle)]);
    expect([sa.status, sb.status]).toEqual(['completed', 'completed']);
    const stage = (s: RunState, id: string) => s.stages.find((x) => x.id === id)!;
    for (const id of ['web', 'noise', 'clean']) {
      const [x, y] = [stage(sa, id), stage(sb, id)];
      // The same outputs, computed by one run and taken from the cache by the other, which names it.
      expect(x.outputs).toEqual(y.outputs);
      expect(x.cacheKey).toBe(y.cacheKey);
      expect([x.status, y.status].sort()).toEqual(['cached', 'completed']);
      const [computed, cached, cachedBy] = x.status === 'completed' ? [sa, y, sb] : [sb, x, sa];
      expect(cached.cachedFrom).toEqual({ runId: computed.runId, stageId: id });
      expect(cachedBy.runId).not.toBe(computed.runId);
      // Only the computing run scheduled the stage's activity; its claim was released when its step was recorded.
      const handle = (r: RunState) => (r.runId === ra.runId ? ra : rb).handle;
      expect(await scheduledAt(handle(computed), `${id}#1`)).not.toBeNull();
      expect(await scheduledAt(handle(cachedBy), `${id}#1`)).toBeNull();
      expect(await rt.lineage.stageClaim(x.cacheKey!)).toBeNull();
    }
    // Lineage: across both runs, one completed step per shared stage; the rest are cache hits.
    const steps = [...(await rt.lineage.stepsForRun(sa.runId)), ...(await rt.lineage.stepsForRun(sb.runId))];
    for (const id of ['web', 'noise', 'clean']) {
      expect(steps.filter((s) => s.stageId === id).map((s) => s.status).sort()).toEqual(['cached', 'completed']);
    }
    // Each recipe trained its own model.
    expect(steps.filter((s) => s.stageId === 'base').map((s) => s.status)).toEqual(['completed', 'completed']);
    expect(stage(sa, 'base').outputs).not.toEqual(stage(sb, 'base').outputs);
    // The waiting run's view, as `braise status` shows it once done: cached, from the other run.
    const view = await rt.lineage.stepsForRun(waiting.run.runId);
    expect(view.find((s) => s.stageId === waiting.s.id)?.cachedFrom).toEqual({ runId: waiting.other.runId, stageId: waiting.s.id });
  });

  it('a waiting run is cancelled: the computing run goes on; the computing run is cancelled: the other waiting run trains the stage itself, from its checkpoint', async () => {
    const text = recipe('share-cancel', '{ steps: 600, batchSize: 4, lr: 1e-2, checkpointEvery: 10 }');
    const owner = await startRun(rt.client!, plan(text), { noCache: false });
    await untilStage(owner, (s) => s.id === 'base' && s.status === 'running' && (s.progress?.step ?? 0) >= 10 && !s.waitingOn, 'the first checkpoint');
    const [quitter, waiter] = await Promise.all([startRun(rt.client!, plan(text), { noCache: false }), startRun(rt.client!, plan(text), { noCache: false })]);
    for (const w of [quitter, waiter]) {
      const waiting = await untilStage(w, (s) => s.id === 'base' && !!s.waitingOn, 'a run to wait');
      expect(waiting.waitingOn).toEqual({ runId: owner.runId, stageId: 'base' });
    }
    // What `braise status` and `GET /v1/runs/:id` show meanwhile.
    const view = viewFromState((await readRunState(waiter.handle))!, 'http://ui');
    expect(view.stages.find((s) => s.id === 'base')).toMatchObject({ status: 'running', waitingOn: { runId: owner.runId, stageId: 'base' } });
    expect(renderRun(view)).toMatch(new RegExp(`^base +pretrain +waiting on run ${owner.runId} `, 'm'));
    // The owner holds the claim of its stage's cache key.
    const key = (await readRunState(owner.handle))!.stages.find((s) => s.id === 'base')!.cacheKey!;
    expect(await rt.lineage.stageClaim(key)).toEqual({ runId: owner.runId, workflowId: owner.workflowId, stageId: 'base' });
    // A --no-cache run of the same recipe meanwhile recomputes its data stages and schedules its own training: it
    // neither claims nor waits (its pretrain queues behind the owner's on the one GPU slot).
    const noCache = await startRun(rt.client!, plan(text), { noCache: true });
    await untilStage(noCache, (s) => s.id === 'base' && s.status === 'running', 'the --no-cache run to reach base');
    const ncState = (await readRunState(noCache.handle))!;
    expect(ncState.stages.map((s) => [s.id, s.status, s.waitingOn ?? null])).toEqual([
      ['web', 'completed', null],
      ['noise', 'completed', null],
      ['clean', 'completed', null],
      ['base', 'running', null],
    ]);
    expect(await scheduledAt(noCache.handle, 'base#1')).not.toBeNull();
    expect(await rt.lineage.stageClaim(key)).toEqual({ runId: owner.runId, workflowId: owner.workflowId, stageId: 'base' });
    await noCache.handle.cancel();
    await quitter.handle.cancel();
    expect((await awaitRunState(quitter.handle)).status).toBe('cancelled');
    expect((await awaitRunState(noCache.handle)).status).toBe('cancelled');
    const step = (await untilStage(owner, (s) => s.id === 'base', 'base')).progress?.step ?? 0;
    await untilStage(owner, (s) => s.id === 'base' && s.status === 'running' && (s.progress?.step ?? 0) > step, 'the owner to go on training');
    await owner.handle.cancel();
    const [so, sw] = await Promise.all([awaitRunState(owner.handle), awaitRunState(waiter.handle)]);
    expect(so.status).toBe('cancelled');
    expect(sw.status).toBe('completed');
    const base = sw.stages.find((s) => s.id === 'base')!;
    expect(base.status).toBe('completed');
    // It continued from a checkpoint the cancelled run wrote (same cache key, same checkpoints).
    expect(base.metrics.resumed_from_step).toBeGreaterThanOrEqual(10);
    // The waiter trained once its owner's workflow had closed (it took the abandoned claim over); the one completed step.
    const closed = (await owner.handle.describe()).closeTime!.getTime();
    expect(await scheduledAt(waiter.handle, 'base#1')).toBeGreaterThanOrEqual(closed);
    expect(await scheduledAt(quitter.handle, 'base#1')).toBeNull();
    const steps = await Promise.all([owner, quitter, waiter].map(async (r) => (await rt.lineage.stepsForRun(r.runId)).filter((s) => s.stageId === 'base')));
    expect(steps.flat().filter((s) => s.status === 'completed').map((s) => s.runId)).toEqual([waiter.runId]);
    expect(await rt.lineage.stageClaim(key)).toBeNull();
  });

  it('the computing run’s stage fails after its retries: the waiting run does not hang, it runs the stage itself', async () => {
    // No retries, and a pretrain far longer than its 3 s (below the compiler's 10 s minimum, set on the plan): it times out.
    const failing = plan(recipe('share-fail', '{ steps: 100000, batchSize: 4, lr: 1e-2, checkpointEvery: 1000 }', '    retries: 0\n'));
    failing.nodes.find((n) => n.id === 'base')!.timeouts.startToCloseMs = 3000;
    const owner = await startRun(rt.client!, failing, { noCache: false });
    await untilStage(owner, (s) => s.id === 'base' && s.status === 'running' && !s.waitingOn, 'the owner to train');
    const waiter = await startRun(rt.client!, failing, { noCache: false });
    await untilStage(waiter, (s) => s.id === 'base' && s.waitingOn?.runId === owner.runId, 'the second run to wait');
    const [so, sw] = await Promise.all([awaitRunState(owner.handle), awaitRunState(waiter.handle)]);
    expect([so.status, sw.status]).toEqual(['failed', 'failed']);
    for (const s of [so, sw]) expect(s.stages.find((x) => x.id === 'base')?.error).toMatch(/timeout/i);
    // One after the other: the waiter scheduled its training once the owner's step was recorded failed.
    const [ownerStep] = (await rt.lineage.stepsForRun(owner.runId)).filter((s) => s.stageId === 'base');
    const [waiterStep] = (await rt.lineage.stepsForRun(waiter.runId)).filter((s) => s.stageId === 'base');
    expect([ownerStep?.status, waiterStep?.status]).toEqual(['failed', 'failed']);
    expect(await scheduledAt(waiter.handle, 'base#1')).toBeGreaterThanOrEqual(ownerStep!.finishedAt!.getTime());
    expect(await rt.lineage.stageClaim(ownerStep!.cacheKey)).toBeNull();
  });

  it('the computing run pauses on its failed stage: the waiting run computes it, and the paused run resumed takes it from the cache', async () => {
    // The same stage (timeouts are not part of the cache key): the first run's gives up after 3 s, the other's does not.
    const text = recipe('share-pause', '{ steps: 300, batchSize: 4, lr: 1e-2, checkpointEvery: 1000 }', '    retries: 0\n');
    const impatient = plan(text);
    impatient.nodes.find((n) => n.id === 'base')!.timeouts.startToCloseMs = 3000;
    const owner = await startRun(rt.client!, impatient, { noCache: false, onFailure: 'pause' });
    await untilStage(owner, (s) => s.id === 'base' && s.status === 'running' && !s.waitingOn, 'the owner to train');
    const waiter = await startRun(rt.client!, plan(text), { noCache: false });
    await untilStage(waiter, (s) => s.id === 'base' && s.waitingOn?.runId === owner.runId, 'the second run to wait');
    const paused = await untilStage(owner, (s) => s.id === 'base' && s.status === 'paused', 'the owner to pause');
    expect(paused.error).toMatch(/timeout/i);
    const sw = await awaitRunState(waiter.handle);
    expect(sw.status).toBe('completed');
    const base = sw.stages.find((s) => s.id === 'base')!;
    expect(base.status).toBe('completed');
    await owner.handle.signal(resumeSignal, {});
    const so = await awaitRunState(owner.handle);
    expect(so.status).toBe('completed');
    const resumed = so.stages.find((s) => s.id === 'base')!;
    expect(resumed.status).toBe('cached');
    expect(resumed.cachedFrom).toEqual({ runId: waiter.runId, stageId: 'base' });
    expect(resumed.outputs).toEqual(base.outputs);
    // Lineage: the owner's failed attempt and its cache hit; the waiter's one completed step.
    const baseSteps = async (r: StartedRun) => (await rt.lineage.stepsForRun(r.runId)).filter((s) => s.stageId === 'base').map((s) => [s.attempt, s.status, s.cachedFrom]);
    expect(await baseSteps(owner)).toEqual([
      [1, 'failed', null],
      [2, 'cached', { runId: waiter.runId, stageId: 'base' }],
    ]);
    expect(await baseSteps(waiter)).toEqual([[1, 'completed', null]]);
    expect(await rt.lineage.stageClaim(base.cacheKey!)).toBeNull();
  });
});
