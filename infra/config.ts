/**
 * Configuration from the environment. The embedded defaults live under
 * `.braise/`; TEMPORAL_ADDRESS, DATABASE_URL and BRAISE_ARTIFACTS switch each
 * part to a real deployment. The embedded dev server's namespace is derived
 * from the home, so two homes never poll each other's task queues.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseByteSize } from '../recipe/limits.ts';
import { parseDataRoots } from '../datasets/data-roots.ts';
import { ingestLimitsFromEnv, type IngestLimits } from '../datasets/limits.ts';
import { parseS3Url, type S3Location } from '../datasets/s3.ts';

export interface BraiseConfig {
  /** Root of the embedded state: Temporal's SQLite file, PGlite, artifacts, checkpoints, tools. */
  home: string;
  /** A running Temporal frontend (`host:port`); unset means: start or reuse the embedded dev server. */
  temporalAddress: string | null;
  /**
   * The Temporal namespace runs and workers use: TEMPORAL_NAMESPACE, else `default` on a server named by
   * TEMPORAL_ADDRESS (a deployment shares it on purpose), else this home's own (`braise-<hash of the home>`).
   */
  namespace: string;
  /** Port of the embedded dev server and its Web UI. */
  devServerPort: number;
  devUiPort: number;
  /** Base URL of the Temporal Web UI, for run links. */
  temporalUiUrl: string;
  /** postgres://… for a Postgres server; unset means PGlite under home. */
  databaseUrl: string | null;
  pgliteDir: string;
  /**
   * The filesystem artifact store's root; with `artifactsS3`, this machine's cache of it
   * (`<home>/artifact-cache`).
   */
  artifactsRoot: string;
  /** `BRAISE_ARTIFACTS=s3://bucket/prefix`: artifacts and checkpoints in S3 (datasets/s3-artifact-store.ts); else null. */
  artifactsS3: S3Location | null;
  checkpointsRoot: string;
  toolsDir: string;
  /** Derived files kept between processes (the workflow bundle); safe to delete. */
  cacheDir: string;
  apiHost: string;
  apiPort: number;
  /** Memory a training stage may use on a worker (BRAISE_WORKER_MEMORY); recipes whose estimate exceeds it are refused. */
  workerMemoryBytes: number;
  /** Task queues beyond braise-cpu and braise-gpu that workers of this deployment serve (BRAISE_QUEUES). */
  extraQueues: string[];
  /**
   * `BRAISE_DATA_ROOTS`: the directories `file:` sources may read; null when unset (then the API allows
   * none and the local CLI its working directory).
   */
  dataRoots: string[] | null;
  /** `BRAISE_INGEST_MAX_*`: what one ingested source may cost. */
  ingestLimits: IngestLimits;
  /**
   * `BRAISE_WORKFLOW_BUNDLE`: a workflow bundle built ahead of time (`npm run build:workflows`), which the control
   * worker loads instead of bundling at start (images set it); null bundles (cached under `cacheDir`).
   */
  workflowBundlePath: string | null;
  /** `BRAISE_DASHBOARD_DIR`: prebuilt dashboard files to serve (`npm run build:dashboard`); null: build them into the cache. */
  dashboardDir: string | null;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): BraiseConfig {
  const home = resolve(cwd, env.BRAISE_HOME ?? '.braise');
  const devServerPort = intEnv(env, 'BRAISE_TEMPORAL_PORT', 7233);
  const devUiPort = intEnv(env, 'BRAISE_TEMPORAL_UI_PORT', devServerPort + 1000);
  const temporalAddress = env.TEMPORAL_ADDRESS || null;
  const artifactsS3 = parseS3Url(env.BRAISE_ARTIFACTS ?? '');
  return {
    home,
    temporalAddress,
    namespace: env.TEMPORAL_NAMESPACE || (temporalAddress ? 'default' : homeNamespace(home)),
    devServerPort,
    devUiPort,
    temporalUiUrl: (env.TEMPORAL_UI_URL || `http://localhost:${devUiPort}`).replace(/\/$/, ''),
    databaseUrl: env.DATABASE_URL || null,
    pgliteDir: resolve(home, 'lineage'),
    artifactsRoot: artifactsS3 ? resolve(home, 'artifact-cache') : resolve(cwd, env.BRAISE_ARTIFACTS ?? resolve(home, 'artifacts')),
    artifactsS3,
    checkpointsRoot: resolve(home, 'checkpoints'),
    toolsDir: resolve(home, 'tools'),
    cacheDir: resolve(home, 'cache'),
    apiHost: env.BRAISE_HOST || '127.0.0.1',
    apiPort: intEnv(env, 'BRAISE_PORT', 8080),
    workerMemoryBytes: byteSizeEnv(env, 'BRAISE_WORKER_MEMORY', totalmem()),
    extraQueues: queuesEnv(env, 'BRAISE_QUEUES'),
    dataRoots: parseDataRoots(env.BRAISE_DATA_ROOTS, cwd),
    ingestLimits: ingestLimitsFromEnv(env),
    workflowBundlePath: env.BRAISE_WORKFLOW_BUNDLE ? resolve(cwd, env.BRAISE_WORKFLOW_BUNDLE) : null,
    dashboardDir: env.BRAISE_DASHBOARD_DIR ? resolve(cwd, env.BRAISE_DASHBOARD_DIR) : null,
  };
}

function byteSizeEnv(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const bytes = parseByteSize(raw);
  if (bytes === null) throw new Error(`${name}: expected a size in bytes such as 8GiB, 512MiB or 17179869184, got "${raw}"`);
  return bytes;
}

function queuesEnv(env: NodeJS.ProcessEnv, name: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  const queues = raw.split(',').map((q) => q.trim()).filter((q) => q !== '');
  const bad = queues.find((q) => !/^braise-[a-z0-9-]{1,64}$/.test(q));
  if (bad !== undefined) throw new Error(`${name}: expected comma-separated task queue names such as braise-gpu-a100 ("braise-" then lowercase letters, digits or "-"), got "${bad}"`);
  return queues;
}

/**
 * The namespace of a home on its embedded dev server: `braise-` and 12 hex digits of the sha256 of the home's
 * canonical path, so the same directory always gets the same namespace and another directory never does.
 */
export function homeNamespace(home: string): string {
  return `braise-${createHash('sha256').update(canonicalPath(home)).digest('hex').slice(0, 12)}`;
}

/** `path` with symlinks resolved in the part that exists (a home may not exist yet; /tmp may be a link). */
export function canonicalPath(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync.native(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(canonicalPath(parent), basename(abs));
  }
}

function intEnv(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name}: expected a port number, got "${raw}"`);
  return n;
}

/** The Temporal Web UI page of one workflow execution. */
export function workflowUiUrl(config: Pick<BraiseConfig, 'temporalUiUrl' | 'namespace'>, workflowId: string): string {
  return `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
