/**
 * Resuming failed long runs, through the run service the API serves: a stage
 * that fails after its retries pauses the run until it is resumed (optionally
 * with changed settings); a run that ended continues as a new execution that
 * reuses every finished stage and the latest checkpoint.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { trainingOrder } from '../../infra/db/schema.ts';
import { InvalidInputError, type RunService } from '../../service/contract.ts';
import { openRuntime, type BraiseRuntime } from '../../infra/runtime.ts';
import { createRunService } from '../../infra/service.ts';
import type { RunView } from '../../service/view.ts';
import { testHome, waitForRun, type TestHome } from './harness.ts';
import { NOISE, tinyRecipe } from './recipes.ts';

const waitFor = (service: RunService, runId: string, pred: (v: RunView) => boolean, timeoutMs?: number) => waitForRun(service, runId, pred, { timeoutMs });

describe('resuming runs', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let service: RunService;

  beforeAll(async () => {
    home = await testHome('pglite');
    rt = await openRuntime({ config: home.config, queues: ['control', 'cpu', 'gpu'] });
    service = createRunService(rt);
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('pauses on a stage that fails, shows why, and resumes in place once the cause is fixed, with changed settings', async () => {
    const missing = join(home.home, 'late.jsonl');
    const recipe = tinyRecipe({ name: 'pause', steps: 12 }).replace(`file:${NOISE}`, `file:${missing}`);
    const { runId } = await service.startRun({ recipe });
    const paused = await waitFor(service, runId, (v) => v.status === 'paused');
    const noise = paused.stages.find((s) => s.id === 'noise')!;
    expect(noise.status).toBe('paused');
    expect(noise.error).toContain(missing);
    expect(paused.error).toMatch(/stage "noise" failed/);
    expect((await rt.lineage.getRun(runId))?.status).toBe('paused');

    // Bad settings are refused with their path, and change nothing.
    await expect(service.resume(runId, { with: { 'stages.base.steps': -5 } })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(service.resume(runId, { with: { 'stages.nope.lr': 1 } })).rejects.toThrow(/no stage "nope"/);
    expect((await service.getRun(runId)).status).toBe('paused');

    await copyFile(NOISE, missing);
    const resumed = await service.resume(runId, { with: { 'stages.base.steps': 8 } });
    expect(resumed).toMatchObject({ runId, mode: 'in-place' });
    const done = await waitFor(service, runId, (v) => v.status === 'completed' || v.status === 'failed');
    expect(done.status).toBe('completed');
    expect(done.stages.find((s) => s.id === 'base')!.metrics.steps).toBe(8);
    const steps = await rt.lineage.stepsForRun(runId);
    expect(steps.filter((s) => s.stageId === 'noise').map((s) => s.status)).toEqual(['failed', 'completed']);
  });

  it('continues a cancelled run as a new execution: finished stages cached, training from the last checkpoint', async () => {
    const recipe = tinyRecipe({ name: 'again', steps: 400, checkpointEvery: 10 });
    const { runId } = await service.startRun({ recipe });
    await waitFor(service, runId, (v) => (v.stages.find((s) => s.id === 'base')?.progress?.step ?? 0) >= 25);
    await service.cancel(runId);
    await waitFor(service, runId, (v) => v.status === 'cancelled');

    const resumed = await service.resume(runId, {});
    expect(resumed.mode).toBe('new-execution');
    expect(resumed.runId).not.toBe(runId);
    const done = await waitFor(service, resumed.runId, (v) => v.status === 'completed' || v.status === 'failed', 300_000);
    expect(done.status).toBe('completed');
    expect(done.stages.filter((s) => ['web', 'noise', 'clean'].includes(s.id)).map((s) => s.status)).toEqual(['cached', 'cached', 'cached']);
    const base = done.stages.find((s) => s.id === 'base')!;
    expect(base.metrics.resumed_from_step).toBeGreaterThanOrEqual(20);
    expect(base.metrics.steps).toBe(400);
    expect((await rt.lineage.getRun(resumed.runId))?.resumedFrom).toBe(runId);
    // Provenance: the new run records every window its model saw, those the cancelled execution trained
    // included, each once (the cancelled run's stage never finished, so it records none).
    const windows = async (id: string) =>
      (await rt.database.db.selectDistinct({ step: trainingOrder.checkpointStep }).from(trainingOrder).where(eq(trainingOrder.runId, id)).orderBy(asc(trainingOrder.checkpointStep))).map((r) => r.step);
    // Every 10 steps, plus the checkpoint the cancellation wrote (if it fell between two) that training resumed from.
    const recorded = await windows(resumed.runId);
    expect(recorded.filter((s) => s % 10 === 0)).toEqual(Array.from({ length: 40 }, (_, i) => (i + 1) * 10));
    expect(recorded.filter((s) => s % 10 !== 0)).toEqual(base.metrics.resumed_from_step! % 10 === 0 ? [] : [base.metrics.resumed_from_step]);
    expect(await windows(runId)).toEqual([]);
  });

  it('with onFailure: fail, a stage failing after its retries ends the run as failed; resume starts it again', async () => {
    const missing = join(home.home, 'never.jsonl');
    const recipe = tinyRecipe({ name: 'failfast', steps: 8 }).replace(`file:${NOISE}`, `file:${missing}`);
    const { runId } = await service.startRun({ recipe, onFailure: 'fail' });
    const failed = await waitFor(service, runId, (v) => v.status !== 'running');
    expect(failed.status).toBe('failed');
    expect(failed.stages.find((s) => s.id === 'noise')!.status).toBe('failed');
    expect(failed.stages.find((s) => s.id === 'clean')!.status).toBe('skipped');
    expect((await rt.lineage.getRun(runId))?.status).toBe('failed');

    await copyFile(NOISE, missing);
    const resumed = await service.resume(runId, {});
    expect(resumed.mode).toBe('new-execution');
    const done = await waitFor(service, resumed.runId, (v) => v.status !== 'running');
    expect(done.status).toBe('completed');
    // what finished before the failure is not recomputed
    expect(done.stages.find((s) => s.id === 'web')!.status).toBe('cached');
  });

  it('refuses to resume a run that is still running or completed', async () => {
    const { runs } = await service.listRuns({ recipe: 'pause' });
    await expect(service.resume(runs[0]!.runId, {})).rejects.toThrow(/only paused, failed or cancelled/);
  });
});

