/**
 * Run semantics as a user sees them over HTTP, on a real Temporal dev server,
 * PGlite, real training and real files: `noCache` retrains from scratch and
 * says so; a cached run serves the curves of the run that computed each stage
 * and names it; a plan Temporal would reject, or one the interpreter chokes on,
 * ends the run as failed with the reason instead of "running" forever (so does
 * a run terminated from outside, once read); and
 * cancelling a run whose stage is stuck (reading a FIFO no one writes) ends it
 * within seconds, not at the stage's 30-minute timeout.
 */
import { execFileSync, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readdir, unlink } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import type { RunService } from '../../service/contract.ts';
import { serveApi, type ServingApi } from '../../api/server.ts';
import type { RunView } from '../../service/view.ts';
import { shardPaths, writeDataset } from '../../datasets/dataset.ts';
import { TokenStore } from '../../infra/auth/tokens.ts';
import { openRuntime, type BraiseRuntime } from '../../infra/runtime.ts';
import { createRunService } from '../../infra/service.ts';
import { startRun, workflowIdFor } from '../../infra/temporal/runs.ts';
import { compileRecipe, parseRecipeText, type Plan } from '../../recipe/index.ts';
import { apiCaller, testHome, waitForRun, type TestHome } from './harness.ts';
import { tinyRecipe } from './recipes.ts';

const BIN = fileURLToPath(new URL('../../bin/braise.js', import.meta.url));

interface Series {
  stage: string;
  name: string;
  producedBy: { runId: string; stageId: string };
  points: Array<[number, number]>;
}

describe('run semantics', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let service: RunService;
  let server: ServingApi;
  let token: string;
  const recipe = tinyRecipe({ name: 'sem-cache', steps: 20 });
  let fresh: RunView;
  let noCache: RunView;

  const api = apiCaller(() => server.url, () => token);
  const startHttp = async (body: unknown): Promise<string> => {
    const res = await api('POST', '/v1/runs', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return (res.body as { runId: string }).runId;
  };
  const view = async (runId: string) => (await api('GET', `/v1/runs/${runId}`)).body as RunView;
  const loss = async (runId: string) => ((await api('GET', `/v1/runs/${runId}/metrics?stage=base&name=train/loss`)).body as { series: Series[] }).series;
  const ended = (v: RunView) => v.status !== 'running';
  /** A plan the compiler would never make, started the way `POST /v1/runs` starts one (lineage row first). */
  const startCrafted = async (plan: Plan) => {
    const runId = `r-crafted${Math.random().toString(36).slice(2, 10)}`;
    const workflowId = workflowIdFor(plan, runId);
    await rt.lineage.upsertRun({ id: runId, workflowId, recipeName: 'crafted', recipeHash: 'x', plan, options: { noCache: false }, status: 'running' });
    const { handle } = await startRun(rt.client!, plan, { noCache: false }, { runId });
    return { runId, handle };
  };

  beforeAll(async () => {
    home = await testHome('pglite');
    rt = await openRuntime({ config: home.config, queues: ['control', 'cpu', 'gpu'] });
    service = createRunService(rt);
    const tokens = new TokenStore(rt.database);
    token = await tokens.create('it');
    server = await serveApi(createApp({ service, tokens }), { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await rt?.close();
    await home?.cleanup();
  });

  it('noCache retrains every stage from scratch, every step once, and says so', async () => {
    fresh = await waitForRun(service, await startHttp({ recipe }), ended);
    expect(fresh.status).toBe('completed');
    noCache = await waitForRun(service, await startHttp({ recipe, noCache: true }), ended);
    expect(noCache.status).toBe('completed');
    expect(noCache.noCache).toBe(true);
    expect(fresh.noCache).toBe(false);
    expect(noCache.stages.map((s) => s.status)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);
    const base = noCache.stages.find((s) => s.id === 'base')!;
    expect(base.metrics.resumed_from_step).toBe(-1);
    expect(base.metrics.steps).toBe(20);
    const [curve] = await loss(noCache.runId);
    expect(curve!.producedBy).toEqual({ runId: noCache.runId, stageId: 'base' });
    expect(curve!.points.map(([step]) => step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Its checkpoints are its own: the first run's stay where later runs resume from.
    const scopes = await readdir(rt.config.checkpointsRoot);
    expect(scopes.filter((d) => d.endsWith(`.nocache-${noCache.runId}`))).toHaveLength(1);
    expect(scopes.filter((d) => !d.includes('.nocache-'))).toHaveLength(1);
    // The CLI says so too.
    const out = await cli(['status', noCache.runId]);
    expect(out.stdout, out.stderr).toContain(`run ${noCache.runId}: completed (cache disabled: every stage recomputed)`);
  });

  it("a cached run serves each stage's curves from the run that computed it, and names that run", async () => {
    const cached = await waitForRun(service, await startHttp({ recipe }), ended);
    expect(cached.stages.map((s) => s.status)).toEqual(['cached', 'cached', 'cached', 'cached', 'cached']);
    // The latest completed step with the cache key is the noCache run's.
    for (const s of cached.stages) expect(s.cachedFrom).toEqual({ runId: noCache.runId, stageId: s.id });
    const [curve] = await loss(cached.runId);
    expect(curve!.producedBy).toEqual({ runId: noCache.runId, stageId: 'base' });
    expect(curve!.points).toEqual((await loss(noCache.runId))[0]!.points);
    // The view from lineage (no live workflow state) says the same, and so does the CLI.
    const out = await cli(['status', cached.runId, '--json']);
    expect(out.code, out.stderr).toBe(0);
    const fromCli = JSON.parse(out.stdout) as RunView;
    expect(fromCli.stages.find((s) => s.id === 'base')?.cachedFrom).toEqual({ runId: noCache.runId, stageId: 'base' });
    expect((await cli(['status', cached.runId])).stdout).toContain(`cached (from ${noCache.runId})`);
  });

  it('a stage whose activity options Temporal would reject fails the run with the reason, not "running" forever', async () => {
    const plan = compileRecipe(parseRecipeText(tinyRecipe({ name: 'sem-bad-options', steps: 5 })));
    // A zero start-to-close timeout: Temporal rejects the activity (BAD_SCHEDULE_ACTIVITY_ATTRIBUTES).
    plan.nodes.find((n) => n.id === 'base')!.timeouts.startToCloseMs = 0;
    const { runId, handle } = await startCrafted(plan);
    const err = await handle.result().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const reason = 'stage "base" failed: invalid activity options: timeouts.startToCloseMs: must be an integer from 1';
    expect((await rt.lineage.getRun(runId))).toMatchObject({ status: 'failed', error: expect.stringContaining(reason) });
    const v = await view(runId);
    expect(v.status).toBe('failed');
    expect(v.error).toContain(reason);
    expect(v.stages.filter((s) => s.id === 'base' || s.id === 'eval').map((s) => [s.id, s.status])).toEqual([['base', 'failed'], ['eval', 'skipped']]);
  });

  it('an error in the interpreter itself ends the run as failed, with the reason', async () => {
    const plan = compileRecipe(parseRecipeText(tinyRecipe({ name: 'sem-bad-plan', steps: 5 })));
    const { runId, handle } = await startCrafted({ ...plan, nodes: {} as unknown as Plan['nodes'] });
    const err = await handle.result().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toBe('the workflow failed: plan.nodes.map is not a function');
    expect(await rt.lineage.getRun(runId)).toMatchObject({ status: 'failed', error: 'the workflow failed: plan.nodes.map is not a function' });
    expect(await view(runId)).toMatchObject({ status: 'failed', error: 'the workflow failed: plan.nodes.map is not a function' });
  });

  it('a run terminated from outside (Temporal CLI or UI) reads as failed with the reason, in lineage too', async () => {
    const runId = await startHttp({ recipe: tinyRecipe({ name: 'sem-terminated', steps: 5000 }) });
    const run = (await rt.lineage.getRun(runId))!;
    await rt.client!.workflow.getHandle(run.workflowId).terminate('stopped by an operator');
    const v = await view(runId);
    expect(v).toMatchObject({ status: 'failed', error: 'terminated: stopped by an operator' });
    expect(v.stages.some((s) => s.status === 'running' || s.status === 'pending')).toBe(false);
    expect(await rt.lineage.getRun(runId)).toMatchObject({ status: 'failed', error: 'terminated: stopped by an operator' });
  });

  it('cancelling a run whose stage is stuck ends it within seconds', async () => {
    // A dataset artifact whose shard is a FIFO no one writes: ingesting it blocks opening the shard, so the stage
    // never heartbeats and never hears of a cancel (its cache key, from the artifact id, needs no read).
    const dataset = await writeDataset(rt.store, [{ id: 'd1', text: 'a stuck document' }], { meta: { test: 'stuck' } });
    const [fifo] = await shardPaths(rt.store, dataset.id);
    await unlink(fifo!);
    execFileSync('mkfifo', [fifo!]);
    const stuckRecipe = `apiVersion: braise/v1
name: sem-stuck
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [m] }
  stuck: { source: "artifact:${dataset.id}" }
stages:
  - id: clean
    kind: filter
    inputs: [web, stuck]
`;
    const runId = await startHttp({ recipe: stuckRecipe });
    try {
      // The ingest of `stuck` blocks opening a FIFO no one writes: it never heartbeats, so it never hears of a cancel.
      const run = (await rt.lineage.getRun(runId))!;
      const handle = rt.client!.workflow.getHandle(run.workflowId);
      let pending: unknown;
      await waitFor(async () => {
        const d = await handle.describe();
        pending = d.raw.pendingActivities?.map((a) => [a.activityId, a.state, a.attempt, a.lastFailure?.message]);
        return d.raw.pendingActivities?.some((a) => a.activityId === 'stuck#1' && a.lastStartedTime) ?? false;
      }, 60_000).catch(async (err: unknown) => {
        throw new Error(`no stuck activity: ${JSON.stringify(pending)} ${JSON.stringify(await view(runId))}`, { cause: err });
      });
      const t0 = Date.now();
      expect((await api('POST', `/v1/runs/${runId}/cancel`)).status).toBe(202);
      const done = await waitForRun(service, runId, ended, { timeoutMs: 60_000 });
      expect(done.status).toBe('cancelled');
      expect(Date.now() - t0).toBeLessThan(25_000);
      // The view reads the workflow's state; lineage gets the status from the control activity a moment later.
      await waitFor(async () => (await rt.lineage.getRun(runId))?.status === 'cancelled', 10_000);
    } finally {
      await unblockFifo(fifo!);
    }
  });

  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...home.env, BRAISE_API_URL: server.url, BRAISE_TOKEN: token } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
});

async function waitFor(pred: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Lets whoever still reads the FIFO see end of file (each open of it for reading waits for a writer). */
async function unblockFifo(fifo: string): Promise<void> {
  let idleSince = Date.now();
  while (Date.now() - idleSince < 3000) {
    try {
      const fh = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      await fh.close();
      idleSince = Date.now();
    } catch {
      // ENXIO: no reader right now.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
