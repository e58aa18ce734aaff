/**
 * Configuration from the environment. The embedded defaults live under
 * `.braise/`; TEMPORAL_ADDRESS, DATABASE_URL and BRAISE_ARTIFACTS switch each
 * part to a real deployment.
 */
import { totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseByteSize } from '../recipe/limits.ts';

export interface BraiseConfig {
  /** Root of the embedded state: Temporal's SQLite file, PGlite, artifacts, checkpoints, tools. */
  home: string;
  /** A running Temporal frontend (`host:port`); unset means: start or reuse the embedded dev server. */
  temporalAddress: string | null;
  namespace: string;
  /** Port of the embedded dev server and its Web UI. */
  devServerPort: number;
  devUiPort: number;
  /** Base URL of the Temporal Web UI, for run links. */
  temporalUiUrl: string;
  /** postgres://… for a Postgres server; unset means PGlite under home. */
  databaseUrl: string | null;
  pgliteDir: string;
  artifactsRoot: string;
  checkpointsRoot: string;
  toolsDir: string;
  apiHost: string;
  apiPort: number;
  /** Memory a training stage may use on a worker (BRAISE_WORKER_MEMORY); recipes whose estimate exceeds it are refused. */
  workerMemoryBytes: number;
  /** Task queues beyond braise-cpu and braise-gpu that workers of this deployment serve (BRAISE_QUEUES). */
  extraQueues: string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): BraiseConfig {
  const home = resolve(cwd, env.BRAISE_HOME ?? '.braise');
  const devServerPort = intEnv(env, 'BRAISE_TEMPORAL_PORT', 7233);
  const devUiPort = intEnv(env, 'BRAISE_TEMPORAL_UI_PORT', devServerPort + 1000);
  return {
    home,
    temporalAddress: env.TEMPORAL_ADDRESS || null,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    devServerPort,
    devUiPort,
    temporalUiUrl: (env.TEMPORAL_UI_URL || `http://localhost:${devUiPort}`).replace(/\/$/, ''),
    databaseUrl: env.DATABASE_URL || null,
    pgliteDir: resolve(home, 'lineage'),
    artifactsRoot: resolve(cwd, env.BRAISE_ARTIFACTS ?? resolve(home, 'artifacts')),
    checkpointsRoot: resolve(home, 'checkpoints'),
    toolsDir: resolve(home, 'tools'),
    apiHost: env.BRAISE_HOST || '127.0.0.1',
    apiPort: intEnv(env, 'BRAISE_PORT', 8080),
    workerMemoryBytes: byteSizeEnv(env, 'BRAISE_WORKER_MEMORY', totalmem()),
    extraQueues: queuesEnv(env, 'BRAISE_QUEUES'),
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
