/**
 * How the CLI reaches the platform: through a running Braise API when one
 * answers — at `BRAISE_API_URL`, else where `braise up` listens with the same
 * environment (`BRAISE_HOST`:`BRAISE_PORT`, default 127.0.0.1:8080) — or
 * embedded in this process otherwise. Either way the commands see a RunService.
 */
import { readLocalToken } from '../infra/auth/tokens.ts';
import { loadConfig } from '../infra/config.ts';
import { LockHeldError } from '../infra/pid-lock.ts';
import { portOpen } from '../infra/temporal/dev-server.ts';
import { openRuntime, type BraiseRuntime } from '../infra/runtime.ts';
import { createRunService } from '../infra/service.ts';
import type { QueueName } from '../infra/temporal/worker.ts';
import { NotFoundError, type RunService } from '../service/contract.ts';
import { httpRunService } from '../service/http.ts';
import { EXIT, say } from './io.ts';

export interface Connection {
  mode: 'api' | 'embedded';
  service: RunService;
  /** Set in embedded mode. */
  runtime: BraiseRuntime | null;
  close(): Promise<void>;
}

/** Where the CLI looks for the API, and which variables said so (for messages). */
export interface ApiLocation {
  url: string;
  from: string;
}

/**
 * `BRAISE_API_URL` when set; otherwise the address `braise up` listens on with this environment (`BRAISE_HOST`,
 * `BRAISE_PORT`), a wildcard host (0.0.0.0, ::) reached over loopback.
 */
export function apiLocation(env: NodeJS.ProcessEnv = process.env): ApiLocation {
  const explicit = env.BRAISE_API_URL?.trim();
  if (explicit) {
    let url: URL;
    try {
      url = new URL(explicit);
    } catch {
      throw new Error(`BRAISE_API_URL: expected an http(s) URL such as http://127.0.0.1:8080, got "${explicit}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`BRAISE_API_URL: expected an http(s) URL, got "${explicit}"`);
    return { url: explicit.replace(/\/+$/, ''), from: 'BRAISE_API_URL' };
  }
  const { apiHost, apiPort } = loadConfig(env);
  const host = apiHost === '0.0.0.0' ? '127.0.0.1' : apiHost === '::' || apiHost === '[::]' ? '::1' : apiHost;
  const literal = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const from = env.BRAISE_HOST || env.BRAISE_PORT ? 'BRAISE_HOST/BRAISE_PORT' : 'the default BRAISE_HOST/BRAISE_PORT';
  return { url: `http://${literal}:${apiPort}`, from };
}

export function apiUrl(env: NodeJS.ProcessEnv = process.env): string {
  return apiLocation(env).url;
}

async function answers(url: string): Promise<boolean> {
  // Nothing listening (the usual embedded case) is known from a refused TCP connection in a millisecond; the first
  // fetch() loads undici, which costs tens of milliseconds of every embedded start.
  const { hostname, port, protocol } = new URL(url);
  if (!(await portOpen(Number(port) || (protocol === 'https:' ? 443 : 80), hostname.replace(/^\[(.*)\]$/, '$1'), 800))) return false;
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(800) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Connects to a running API if one answers, else opens an embedded runtime polling `queues`. */
export async function connect(opts: { queues: QueueName[]; temporal?: boolean }): Promise<Connection> {
  const config = loadConfig();
  const { url, from } = apiLocation();
  const embeddedOnly = process.env.BRAISE_EMBEDDED === '1';
  if (!embeddedOnly && (await answers(url))) {
    const token = process.env.BRAISE_TOKEN || (await readLocalToken(config.home));
    if (!token) throw new Error(`the Braise API at ${url} needs a token: set BRAISE_TOKEN (create one with: braise token create --name <name>)`);
    return { mode: 'api', service: httpRunService(url, token), runtime: null, close: async () => {} };
  }
  // A CLI process runs one run: its workflow code runs on the main thread, not a worker thread of its own.
  const runtime = await openRuntime({ config, queues: opts.queues, temporal: opts.temporal, log: say, workflowsInProcess: true, setupNative: true }).catch((err: unknown) => {
    // The embedded database is held, most likely by a `braise up` this CLI did not find: say where it looked.
    if (!embeddedOnly && err instanceof Error && err.cause instanceof LockHeldError) {
      throw new Error(
        `no Braise API answers at ${url} (${from}), so the CLI ran embedded, but ${err.message} ` +
          'If `braise up` is running with another BRAISE_HOST/BRAISE_PORT, set the same BRAISE_PORT (or BRAISE_API_URL) here.',
        { cause: err },
      );
    }
    throw err;
  });
  // Run locally, `file:` sources may read the working directory unless BRAISE_DATA_ROOTS says otherwise.
  const service = createRunService(runtime, { dataRoots: config.dataRoots ?? [process.cwd()] });
  return { mode: 'embedded', service, runtime, close: () => runtime.close() };
}

/** Runs `fn` on a fresh connection and closes it after; a NotFoundError is said and answered with exit 4. */
export async function withService(opts: { queues: QueueName[]; temporal?: boolean }, fn: (conn: Connection) => Promise<number>): Promise<number> {
  const conn = await connect(opts);
  try {
    return await fn(conn);
  } catch (err) {
    if (err instanceof NotFoundError) {
      say(err.message);
      return EXIT.notFound;
    }
    throw err;
  } finally {
    await conn.close();
  }
}
