/**
 * Durability: SIGKILL the worker process in the middle of a training stage (`pretrain`, `sft`, `dpo`, `rlvr`), start a
 * new one, and the same run finishes — resuming from the latest checkpoint,
 * losing at most `checkpointEvery` steps, leaving no orphaned trainer, and
 * recording exactly one model artifact. Each kind is one call of `killMidStage`. A sweep killed while its second
 * cell trains loses no finished cell and completes.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRecipe, parseRecipeText } from '../../../recipe/index.ts';
import { openDatabase } from '../../../infra/db/client.ts';
import { LineageStore } from '../../../infra/db/lineage.ts';
import { awaitRunState, liveProgress, startRun } from '../../../infra/temporal/runs.ts';
import type { RunState } from '../../../workflows/state.ts';
import { databases, testHome, type TestHome } from '../harness.ts';
import { tinyRecipe } from '../recipes.ts';
import { until } from '../../support/until.ts';

const BIN = fileURLToPath(new URL('../../../bin/braise.js', import.meta.url));
const CHECKPOINT_EVERY = 10;

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('workers polling')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited early (${code}): ${err}`)));
  });
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map(Number).filter((n) => n > 0);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A 4-step pretrain, then `steps` of sft on the built-in addition pairs, checkpointing every CHECKPOINT_EVERY (a dead worker noticed in 4 s). */
function sftRecipe(steps: number): string {
  return `apiVersion: braise/v1
name: kill-sft
seed: 13
onFailure: fail
model: { layers: 1, dModel: 32, heads: 2, context: 64 }
datasets:
  web: { source: builtin:brown, genres: [m] }
  pairs: { source: builtin:tasks, tasks: [addition], shape: sft, limit: 200 }
stages:
  - id: base
    kind: pretrain
    inputs: [web]
    with: { steps: 4, batchSize: 4, lr: 1e-2, checkpointEvery: 4 }
  - id: tuned
    kind: sft
    inputs: [base, pairs]
    with: { steps: ${steps}, batchSize: 8, lr: 3e-3, checkpointEvery: ${CHECKPOINT_EVERY} }
    timeouts: { heartbeat: 4s }
`;
}

/** sftRecipe's run with dpo on the built-in preference pairs in place of sft (the pretrain model is policy start and reference). */
function dpoRecipe(steps: number): string {
  return sftRecipe(steps).replace('name: kill-sft', 'name: kill-dpo').replace('shape: sft, limit: 200', 'shape: preference, limit: 64').replace('kind: sft', 'kind: dpo').replace('lr: 3e-3, ', '');
}

/** sftRecipe's run with rlvr on single-digit addition prompts in place of sft (the pretrain model is policy start and reference). */
function rlvrRecipe(steps: number): string {
  return sftRecipe(steps)
    .replace('name: kill-sft', 'name: kill-rlvr')
    .replace('shape: sft, limit: 200', 'digits: [1, 1], shape: answer, limit: 50')
    .replace('kind: sft', 'kind: rlvr')
    .replace('batchSize: 8, lr: 3e-3, ', 'promptsPerStep: 2, samplesPerPrompt: 2, maxNewTokens: 4, ');
}

const db = databases().includes('postgres') ? 'postgres' : 'pglite';

describe(`worker killed mid-training (${db})`, () => {
  let home: TestHome;
  let connection: Connection;
  let client: Client;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    home = await testHome(db);
    connection = await Connection.connect({ address: home.env.TEMPORAL_ADDRESS! });
    client = new Client({ connection });
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await connection?.close();
    await home?.cleanup();
  });

  /**
   * Kills the worker outright once `stage` is past two checkpoints, starts a new one, and checks that the same run
   * finishes: the stage's second attempt resumed from a checkpoint, at most `checkpointEvery` steps were redone, no
   * trainer outlived its worker, and lineage holds one step, one model and one loss point per step. Each training
   * kind is one call (a dpo or rlvr case: its recipe, with `timeouts: { heartbeat: 4s }` on the stage).
   */
  async function killMidStage(c: { recipe: string; stage: string; steps: number; checkpointEvery: number }): Promise<Record<string, number>> {
    const plan = compileRecipe(parseRecipeText(c.recipe));
    const first = await startWorker(home.env);
    workers.push(first);
    try {
      return await killAndResume(c, first, await startRun(client, plan, { noCache: false }));
    } finally {
      // A failed check must not leave a worker holding the embedded database for the next case.
      await stopWorkers();
    }
  }

  async function stopWorkers(): Promise<void> {
    for (const w of workers) {
      if (w.exitCode !== null || w.signalCode !== null) continue;
      const exited = new Promise((r) => w.once('exit', r));
      w.kill('SIGTERM');
      await exited;
    }
  }

  async function killAndResume(c: { stage: string; steps: number; checkpointEvery: number }, first: ChildProcess, run: Awaited<ReturnType<typeof startRun>>): Promise<Record<string, number>> {

    // Wait until training is past two checkpoints, then kill the worker outright.
    const seen = await until(async () => {
      const p = (await liveProgress(run.handle)).get(c.stage);
      return p && p.step >= 2 * c.checkpointEvery + 5 ? p : null;
    }, 240_000, `${c.stage} to pass step ${2 * c.checkpointEvery + 5}`);
    const trainers = childrenOf(first.pid!);
    expect(trainers.length).toBeGreaterThan(0);
    first.kill('SIGKILL');
    const killedAt = (await liveProgress(run.handle)).get(c.stage)?.step ?? seen.step;

    // The trainer notices its parent is gone and exits: no orphan keeps training.
    await until(async () => (trainers.every((pid) => !alive(pid)) ? true : null), 10_000, 'the orphaned trainer to exit');

    const second = await startWorker(home.env);
    workers.push(second);
    const state = await awaitRunState(run.handle);
    expect(state.status).toBe('completed');
    const stage = state.stages.find((s) => s.id === c.stage)!;
    expect(stage.status).toBe('completed');
    // 2: the attempt killed and the one that finished; a loaded machine can miss a 4 s heartbeat once more (each retry resumes).
    expect(stage.attempts).toBeGreaterThanOrEqual(2);
    const resumedFrom = stage.metrics.resumed_from_step!;
    expect(resumedFrom).toBeGreaterThan(0);
    expect(resumedFrom % c.checkpointEvery).toBe(0);
    // Steps redone: those after the last checkpoint before the kill.
    expect(killedAt - resumedFrom).toBeLessThanOrEqual(c.checkpointEvery + 2);
    expect(stage.metrics.steps).toBe(c.steps);

    await stopWorkers();

    const database = await openDatabase(home.config.databaseUrl ? { url: home.config.databaseUrl } : { dataDir: home.config.pgliteDir });
    try {
      const lineage = new LineageStore(database);
      const stepRows = (await lineage.stepsForRun(run.runId)).filter((s) => s.stageId === c.stage);
      expect(stepRows).toHaveLength(1);
      expect(stepRows[0]!.outputs.filter((o) => o.port === 'model')).toHaveLength(1);
      const [loss] = await lineage.metricsForRun(run.runId, { stage: c.stage, name: 'train/loss' });
      // One point per step, none duplicated by the retry.
      expect(loss!.points.map(([s]) => s)).toEqual(Array.from({ length: c.steps }, (_, i) => i + 1));
    } finally {
      await database.close();
    }
    return stage.metrics;
  }

  it('mid-pretrain: resumes from the last checkpoint on a new worker and finishes the same run', async () => {
    const steps = 300;
    await killMidStage({ recipe: tinyRecipe({ name: 'kill', steps, checkpointEvery: CHECKPOINT_EVERY, heartbeat: '4s' }), stage: 'base', steps, checkpointEvery: CHECKPOINT_EVERY });
  });

  it('mid-sft: resumes from the last checkpoint on a new worker and finishes the same run', async () => {
    const steps = 300;
    await killMidStage({ recipe: sftRecipe(steps), stage: 'tuned', steps, checkpointEvery: CHECKPOINT_EVERY });
  });

  it('mid-dpo: resumes from the last checkpoint on a new worker, its reference log-probs not computed again', async () => {
    const steps = 300;
    const metrics = await killMidStage({ recipe: dpoRecipe(steps), stage: 'tuned', steps, checkpointEvery: CHECKPOINT_EVERY });
    expect(metrics.reference_cached).toBe(1);
    expect(metrics.first_loss).toBeCloseTo(Math.log(2), 4);
  });

  it('on SIGTERM, checkpoints the step it is at and exits; the next worker loses no steps', async () => {
    // No periodic checkpoint falls inside the run (checkpointEvery > steps): any resume point can only be the one the
    // graceful stop wrote. Enough steps that the stop (a second of grace, then the trainer's next step) lands first.
    const steps = 1500;
    const plan = compileRecipe(parseRecipeText(tinyRecipe({ name: 'term', steps, checkpointEvery: 100_000, heartbeat: '4s' })));
    const first = await startWorker(home.env);
    workers.push(first);
    const run = await startRun(client, plan, { noCache: false });
    const before = await until(async () => {
      const p = (await liveProgress(run.handle)).get('base');
      return p && p.step >= 15 ? p : null;
    }, 240_000, 'pretrain to pass step 15');
    const t0 = Date.now();
    first.kill('SIGTERM');
    await new Promise((r) => first.once('exit', r));
    // A graceful stop is quick: it does not wait out the heartbeat timeout or the run.
    expect(Date.now() - t0).toBeLessThan(30_000);

    const second = await startWorker(home.env);
    workers.push(second);
    const state = await awaitRunState(run.handle);
    expect(state.status).toBe('completed');
    const base = state.stages.find((s) => s.id === 'base')!;
    expect(base.attempts).toBe(2);
    // The next attempt starts where the stop left off: at or past the step seen when the signal went out, not at 0.
    expect(base.metrics.resumed_from_step).toBeGreaterThanOrEqual(before.step);
    expect(base.metrics.resumed_from_step).toBeLessThan(steps);
    expect(base.metrics.steps).toBe(steps);
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
  });

  it('mid-rlvr: resumes from the last checkpoint on a new worker and finishes the same run', async () => {
    const steps = 200;
    await killMidStage({ recipe: rlvrRecipe(steps), stage: 'tuned', steps, checkpointEvery: CHECKPOINT_EVERY });
  });

  // A sweep (an ablation run of child recipeRuns): the worker killed while the second cell trains, the first finished.
  it('mid-sweep: loses no finished cell; the new worker resumes the killed cell and finishes the sweep', async () => {
    // 320 steps, not 300: mid-pretrain above trained this recipe's 300-step base, which the cache would answer.
    const recipe = `${tinyRecipe({ name: 'kill-sweep', steps: 10, checkpointEvery: 10, heartbeat: '4s' })}sweep:
  matrix:
    stages.base.with.steps: [10, 320]
  parallelism: 1
  compare: { metric: eval/perplexity/mean/bits_per_byte }
`;
    const plan = compileRecipe(parseRecipeText(recipe));
    const first = await startWorker(home.env);
    workers.push(first);
    const run = await startRun(client, plan, { noCache: false });
    const cell2 = client.workflow.getHandle(`${run.workflowId}-c2`);
    // Cell 1 has ended once cell 2 trains (parallelism 1); kill the worker past cell 2's second checkpoint.
    const deadline = Date.now() + 240_000;
    for (;;) {
      const p = (await liveProgress(cell2).catch(() => null))?.get('base');
      if (p && p.step >= 25) break;
      if (Date.now() > deadline) throw new Error('cell 2 never trained past step 25');
      await new Promise((r) => setTimeout(r, 150));
    }
    const before = (await run.handle.query<RunState>('progress')).cells!;
    expect(before.map((c) => c.status)).toEqual(['completed', 'running']);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    const second = await startWorker(home.env);
    workers.push(second);
    const state = await awaitRunState(run.handle);
    expect(state.status).toBe('completed');
    expect(state.cells!.map((c) => c.status)).toEqual(['completed', 'completed']);
    expect(state.report).toMatch(/^[0-9a-f]{64}$/);
    // One child execution per cell: the finished one was not started again.
    const history = await run.handle.fetchHistory();
    const started = (history.events ?? []).filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId);
    expect(started).toEqual([`${run.workflowId}-c1`, `${run.workflowId}-c2`]);
    const resumed = (await cell2.query<RunState>('progress')).stages.find((s) => s.id === 'base')!;
    expect(resumed.attempts).toBeGreaterThanOrEqual(2);
    expect(resumed.metrics.resumed_from_step).toBeGreaterThan(0);

    await stopWorkers();
    const database = await openDatabase(home.config.databaseUrl ? { url: home.config.databaseUrl } : { dataDir: home.config.pgliteDir });
    try {
      const lineage = new LineageStore(database);
      // The finished cell's run: each stage once, trained once.
      const steps = await lineage.stepsForRun(`${run.runId}-c1`);
      expect(steps.map((s) => [s.stageId, s.attempt, s.status])).toEqual(expect.arrayContaining([['base', 1, 'completed'], ['eval', 1, 'completed']]));
      expect(steps.filter((s) => s.stageId === 'base')).toHaveLength(1);
      expect((await lineage.getRun(run.runId))!.status).toBe('completed');
    } finally {
      await database.close();
    }
  });
});
