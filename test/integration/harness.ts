/**
 * Integration-test plumbing: a private Braise home per test file, pointed at
 * the suite's Temporal dev server and at PGlite or the Postgres server of
 * DATABASE_URL. Nothing is faked: real Temporal, real databases, real files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type BraiseConfig } from '../../infra/config.ts';
import type { RunService } from '../../service/contract.ts';
import type { RunView } from '../../service/view.ts';
import { installedNative } from '../../ml/native/layout.ts';

export type DbKind = 'pglite' | 'postgres';

/** The databases this run can test against: PGlite always, Postgres when DATABASE_URL is set (CI sets it). */
export function databases(): DbKind[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestHome {
  home: string;
  config: BraiseConfig;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** A fresh Braise home; for Postgres, a fresh database on the server so runs never collide. */
export async function testHome(db: DbKind): Promise<TestHome> {
  const home = await mkdtemp(join(tmpdir(), 'braise-it-'));
  let databaseUrl = '';
  let dropDb: (() => Promise<void>) | null = null;
  if (db === 'postgres') {
    const base = process.env.DATABASE_URL!;
    const name = `braise_it_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDb = async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const env: Record<string, string> = {
    BRAISE_HOME: home,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_UI_URL: inject('temporalUiUrl'),
    DATABASE_URL: databaseUrl,
    BRAISE_LOG_LEVEL: 'warn',
    // Never talk to a user's running API from the tests: the CLI runs embedded unless a test says otherwise.
    BRAISE_API_URL: 'http://127.0.0.1:9',
    // Each test home is new: without a native backend set up (`braise setup tensorflow`), do not let every CLI run
    // in a fresh home attempt the first-use setup; train on WASM as `auto` would.
    ...(installedNative('cpu') === null ? { BRAISE_TF_BACKEND: 'wasm' } : {}),
  };
  return {
    home,
    env,
    config: loadConfig({ ...process.env, ...env }, home),
    async cleanup() {
      await dropDb?.();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/**
 * Polls a run through the service until `pred` holds. With `tolerateErrors`, failed reads (a server that is down
 * on purpose) count as "not yet" instead of failing the test.
 */
export async function waitForRun(
  service: RunService,
  runId: string,
  pred: (v: RunView) => boolean,
  opts: { timeoutMs?: number; tolerateErrors?: boolean } = {},
): Promise<RunView> {
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  for (;;) {
    const v = opts.tolerateErrors ? await service.getRun(runId).catch(() => null) : await service.getRun(runId);
    if (v && pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not get there (${v?.status}): ${JSON.stringify(v?.stages.map((s) => [s.id, s.status]))}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Calls the Braise API at `url` with a bearer token: a JSON body (when given) in, status and parsed JSON out. */
export function apiCaller(url: () => string, token: () => string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${url()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token()}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as unknown };
  };
}
