/**
 * The platform's servers go away mid-run and come back: the Temporal dev
 * server (with its SQLite file) and the Postgres server holding lineage. The
 * run completes, nothing finished is recomputed, and lineage has no duplicates.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RunService } from '../../../service/contract.ts';
import type { RunView } from '../../../service/view.ts';
import { loadConfig } from '../../../infra/config.ts';
import { openRuntime } from '../../../infra/runtime.ts';
import { createRunService } from '../../../infra/service.ts';
import { ensureDevServer, stopDevServer } from '../../../infra/temporal/dev-server.ts';
import { waitForRun } from '../harness.ts';
import { tinyRecipe } from '../recipes.ts';
import { PGBIN, TestPostgres } from '../../support/postgres.ts';

const waitFor = (service: RunService, runId: string, pred: (v: RunView) => boolean, timeoutMs = 240_000) =>
  waitForRun(service, runId, pred, { timeoutMs, tolerateErrors: true });

const trainingStep = (v: RunView) => v.stages.find((s) => s.id === 'base')?.progress?.step ?? 0;

describe('Temporal dev server restarted mid-run', () => {
  const home = mkdtempSync(join(tmpdir(), 'braise-fault-temporal-'));
  const port = 19233 + Math.floor(Math.random() * 300);
  const config = loadConfig({ ...process.env, BRAISE_HOME: home, BRAISE_TEMPORAL_PORT: String(port), BRAISE_TEMPORAL_UI_PORT: String(port + 1000), TEMPORAL_ADDRESS: '', DATABASE_URL: '' }, home);
  afterAll(async () => {
    await stopDevServer(config);
    rmSync(home, { recursive: true, force: true });
  });

  it('completes the run after the server comes back with its SQLite file', async () => {
    const rt = await openRuntime({ config, queues: ['control', 'cpu', 'gpu'] });
    try {
      const service = createRunService(rt);
      const { runId } = await service.startRun({ recipe: tinyRecipe({ name: 'temporal-restart', steps: 200, checkpointEvery: 20 }) });
      await waitFor(service, runId, (v) => trainingStep(v) >= 10);
      expect(await stopDevServer(config)).toBe(true);
      await new Promise((r) => setTimeout(r, 3000));
      const again = await ensureDevServer(config);
      expect(again.started).toBe(true);
      const done = await waitFor(service, runId, (v) => ['completed', 'failed', 'cancelled'].includes(v.status), 300_000);
      expect(done.status).toBe('completed');
      expect(done.stages.find((s) => s.id === 'base')!.metrics.steps).toBe(200);
      const steps = await rt.lineage.stepsForRun(runId);
      expect(steps.filter((s) => s.stageId === 'base')).toHaveLength(1);
    } finally {
      await rt.close();
    }
  });
});

describe.skipIf(!PGBIN)('Postgres server restarted mid-run', () => {
  const home = mkdtempSync(join(tmpdir(), 'braise-fault-pg-home-'));
  let pg: TestPostgres | null = null;
  afterAll(() => {
    pg?.destroy();
    rmSync(home, { recursive: true, force: true });
  });

  it('retries lineage writes through the restart: the run completes with no duplicate rows', async () => {
    pg = await TestPostgres.create();
    // The suite's Temporal server: this test restarts only Postgres.
    const config = loadConfig({ ...process.env, BRAISE_HOME: home, TEMPORAL_ADDRESS: inject('temporalAddress'), DATABASE_URL: pg.url }, home);
    const rt = await openRuntime({ config, queues: ['control', 'cpu', 'gpu'] });
    try {
      const service = createRunService(rt);
      const steps = 150;
      const { runId } = await service.startRun({ recipe: tinyRecipe({ name: 'pg-restart', steps, checkpointEvery: 10 }) });
      await waitFor(service, runId, (v) => trainingStep(v) >= 15);
      pg.stop();
      await new Promise((r) => setTimeout(r, 4000)); // checkpoints (and their lineage writes) keep coming meanwhile
      pg.start();
      const done = await waitFor(service, runId, (v) => ['completed', 'failed', 'cancelled'].includes(v.status), 300_000);
      expect(done.status).toBe('completed');

      const stepRows = await rt.lineage.stepsForRun(runId);
      expect(stepRows.map((s) => s.stageId).sort()).toEqual(['base', 'clean', 'eval', 'noise', 'web']);
      const [loss] = await rt.lineage.metricsForRun(runId, { stage: 'base', name: 'train/loss' });
      expect(loss!.points.map(([s]) => s)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
      // One model in the store for this stage's output: nothing trained twice.
      const model = done.stages.find((s) => s.id === 'base')!.outputs.find((o) => o.port === 'model')!;
      expect(await rt.lineage.getArtifact(model.artifactId)).not.toBeNull();
      expect((await readdir(config.artifactsRoot)).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
    } finally {
      await rt.close();
    }
  });
});
