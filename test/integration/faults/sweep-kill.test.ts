/**
 * Durability of a sweep: SIGKILL the worker while the second cell trains (the first has finished), start a new one,
 * and the same sweep finishes — the finished cell is not run again (one child execution per cell in the parent's
 * history, its run's steps as they were), the killed cell resumes, and the report has both cells.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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

const BIN = fileURLToPath(new URL('../../../bin/braise.js', import.meta.url));

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

const db = databases().includes('postgres') ? 'postgres' : 'pglite';

describe(`worker killed mid-sweep (${db})`, () => {
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
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await connection?.close();
    await home?.cleanup();
  });

  it('loses no finished cell: the new worker finishes the killed one and the sweep', async () => {
    const recipe = `${tinyRecipe({ name: 'kill-sweep', steps: 10, checkpointEvery: 10, heartbeat: '4s' })}sweep:
  matrix:
    stages.base.with.steps: [10, 300]
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

    const exited = new Promise((r) => second.once('exit', r));
    second.kill('SIGTERM');
    await exited;
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
