/**
 * The cluster's topology, as separate processes: `braise api`, a `braise worker` for the control and CPU queues and
 * one for the GPU queue, each with a home of its own, sharing only the suite's Temporal server, a Postgres server
 * and an S3-compatible store (MinIO) holding artifacts and checkpoints. A recipe started over HTTP runs across them;
 * the GPU worker is killed mid-pretrain and a new one, on yet another home, fetches the checkpoint from S3 and
 * finishes the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../infra/db/client.ts';
import { LineageStore } from '../../../infra/db/lineage.ts';
import { localTokenPath } from '../../../infra/auth/tokens.ts';
import { freePort } from '../../support/free-port.ts';
import { minioMissing, startMinio, type TestMinio } from '../../support/minio.ts';
import { PGBIN, TestPostgres } from '../../support/postgres.ts';
import { apiCaller, testHome, type TestHome } from '../harness.ts';
import { NOISE, tinyRecipe } from '../recipes.ts';
import { until } from '../../support/until.ts';

const BIN = fileURLToPath(new URL('../../../bin/braise.js', import.meta.url));
const BUCKET = 'braise-cluster';
const STEPS = 300;
const CHECKPOINT_EVERY = 10;

const missing = minioMissing();

interface RunStageView {
  id: string;
  status: string;
  attempts: number;
  metrics: Record<string, number>;
  outputs: Array<{ port: string; artifactId: string }>;
}

/** Starts `braise <args>` with `env`; resolves once its stderr says `ready` (a worker polling, the API listening). */
function braise(args: string[], env: Record<string, string>, ready: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(ready)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`braise ${args.join(' ')} exited early (${code}): ${err}`)));
  });
}

describe.skipIf(missing !== null || !PGBIN)('cluster topology: api + two workers, Postgres, S3 (MinIO)', () => {
  let home: TestHome;
  let minio: TestMinio;
  let postgres: TestPostgres;
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    [home, minio, postgres] = await Promise.all([testHome('pglite'), startMinio(), TestPostgres.create()]);
    await minio.createBucket(BUCKET);
  });
  afterAll(async () => {
    await Promise.all(
      procs.filter((p) => p.exitCode === null && p.signalCode === null).map((p) => new Promise((r) => (p.once('exit', r), p.kill('SIGKILL')))),
    );
    await minio?.stop();
    postgres?.destroy();
    await home?.cleanup();
  });

  /** The environment of one machine: its own home; the shared Temporal, Postgres and bucket. */
  const machine = (name: string, extra: Record<string, string> = {}): Record<string, string> => ({
    ...(process.env as Record<string, string>),
    ...home.env,
    ...minio.env,
    BRAISE_HOME: join(home.home, name),
    DATABASE_URL: postgres.url,
    BRAISE_ARTIFACTS: `s3://${BUCKET}/team`,
    BRAISE_DATA_ROOTS: join(NOISE, '..'),
    ...extra,
  });
  const keys = async (prefix: string) => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await minio.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
      out.push(...(page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
      token = page.NextContinuationToken;
    } while (token);
    return out;
  };

  it('a worker whose bucket does not exist exits at start, naming it', async () => {
    const child = spawn(process.execPath, [BIN, 'worker', '--queue', 'gpu'], { env: machine('worker-nobucket', { BRAISE_ARTIFACTS: 's3://no-such-bucket/x' }), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).not.toBe(0);
    expect(err).toContain('artifact storage s3://no-such-bucket/x: bucket "no-such-bucket" is not usable (no such bucket)');
  });

  it('runs a recipe across the processes; a new GPU worker resumes the killed one\'s pretrain from S3', async () => {
    const port = await freePort();
    const apiEnv = machine('api', { BRAISE_PORT: String(port) });
    // The API first: it migrates the lineage schema before the workers open the database.
    procs.push(await braise(['api'], apiEnv, 'braise: API on'));
    const [cpu, gpu1] = await Promise.all([
      braise(['worker', '--queue', 'control', '--queue', 'cpu'], machine('worker-cpu'), 'workers polling'),
      braise(['worker', '--queue', 'gpu'], machine('worker-gpu-1'), 'workers polling'),
    ]);
    // Every process is stopped after the file: one left polling the suite's shared queues would take later files' tasks.
    procs.push(cpu, gpu1);
    const token = (await readFile(localTokenPath(apiEnv.BRAISE_HOME!), 'utf8')).trim();
    const api = apiCaller(() => `http://127.0.0.1:${port}`, () => token);

    const ready = await api('GET', '/readyz');
    expect(ready).toEqual({ status: 200, body: { status: 'ready', temporal: true, database: true, artifacts: true } });
    const started = await api('POST', '/v1/runs', { recipe: tinyRecipe({ name: 'cluster', steps: STEPS, checkpointEvery: CHECKPOINT_EVERY, heartbeat: '4s' }) });
    expect(started.status).toBe(201);
    const { runId } = started.body as { runId: string };

    // Kill the GPU worker once pretrain has a second checkpoint in the bucket (its marker written after its files).
    const marker = await until(async () => (await keys('team/checkpoints/')).find((k) => /\/step-000000[2-9]0\.json$/.test(k)), 90_000, 'a checkpoint past step 20 in S3');
    gpu1.kill('SIGKILL');
    const gpu2 = await braise(['worker', '--queue', 'gpu'], machine('worker-gpu-2'), 'workers polling');
    procs.push(gpu2);

    const run = await until(async () => {
      const r = await api('GET', `/v1/runs/${runId}`);
      const body = r.body as { status: string; stages: RunStageView[] };
      return ['completed', 'failed', 'cancelled'].includes(body.status) ? body : null;
    }, 100_000, 'the run to end');
    expect(run.status).toBe('completed');
    const base = run.stages.find((s) => s.id === 'base')!;
    expect(base.attempts).toBeGreaterThanOrEqual(2);
    // Resumed from a checkpoint the first worker saved, not step 0 — at least the one seen in S3 before the kill.
    const seenStep = Number(/step-(\d+)\.json$/.exec(marker)![1]);
    expect(base.metrics.resumed_from_step).toBeGreaterThanOrEqual(seenStep);
    expect(base.metrics.resumed_from_step! % CHECKPOINT_EVERY).toBe(0);
    expect(base.metrics.steps).toBe(STEPS);
    // The new worker's own home got that checkpoint from S3 (nothing else is shared).
    const scope = /^team\/checkpoints\/([^/]+)\//.exec(marker)![1]!;
    const fetched = await readdir(join(home.home, 'worker-gpu-2', 'checkpoints', scope));
    expect(fetched).toContain(`step-${String(base.metrics.resumed_from_step).padStart(8, '0')}`);

    // Every output is committed in the bucket (files and marker), and lineage in Postgres names them.
    const objects = new Set(await keys('team/'));
    const outputs = run.stages.flatMap((s) => s.outputs);
    expect(outputs.length).toBeGreaterThanOrEqual(5);
    for (const o of outputs) {
      expect(objects.has(`team/${o.artifactId}.json`)).toBe(true);
      expect([...objects].some((k) => k.startsWith(`team/${o.artifactId}/`))).toBe(true);
    }
    const database = await openDatabase({ url: postgres.url });
    try {
      const lineage = new LineageStore(database);
      const steps = await lineage.stepsForRun(runId);
      expect(steps.map((s) => s.stageId).sort()).toEqual(['base', 'clean', 'eval', 'noise', 'web']);
      expect(steps.filter((s) => s.stageId === 'base')).toHaveLength(1);
      const model = base.outputs.find((o) => o.port === 'model')!;
      expect((await lineage.getArtifact(model.artifactId))?.uri).toBe(`s3://${BUCKET}/team/${model.artifactId}/`);
    } finally {
      await database.close();
    }
    // Provenance covers every checkpoint window, those the killed worker trained too (their consumed.json came from S3).
    const sql = new pg.Client({ connectionString: postgres.url });
    await sql.connect();
    try {
      const { rows } = await sql.query<{ step: number }>("SELECT DISTINCT checkpoint_step AS step FROM training_order WHERE run_id = $1 AND stage_id = 'base' ORDER BY 1", [runId]);
      expect(rows.map((r) => r.step)).toEqual(Array.from({ length: STEPS / CHECKPOINT_EVERY }, (_, i) => (i + 1) * CHECKPOINT_EVERY));
    } finally {
      await sql.end();
    }
  });
});
