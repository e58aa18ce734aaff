/**
 * The embedded Temporal: `temporal server start-dev` with its SQLite file under
 * `.braise/` and the Web UI on. It runs detached, so run histories stay
 * viewable in the UI after the command that started it exits; `braise down`
 * stops it. An already-running server on the port is reused.
 */
import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import type { BraiseConfig } from '../config.ts';
import { findTemporalCli } from './cli-binary.ts';

/** Search attributes every Braise run carries (filterable in the UI and by the API). */
export const SEARCH_ATTRIBUTES = { BraiseRecipe: 'Keyword', BraiseStatus: 'Keyword' } as const;

export interface DevServerHandle {
  address: string;
  uiUrl: string;
  /** true when this call started the server (false: it was already running). */
  started: boolean;
  pid: number | null;
}

/** Is something accepting TCP connections on host:port? */
export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Waits until the frontend answers a real RPC (not just an open port). */
export async function waitForTemporal(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`Temporal at ${address} did not become ready in ${timeoutMs / 1000}s: ${(lastError as Error)?.message ?? 'no answer'}`);
}

/** Starts (or reuses) the embedded dev server described by `config`. */
export async function ensureDevServer(config: BraiseConfig, log: (m: string) => void = () => {}): Promise<DevServerHandle> {
  const address = `127.0.0.1:${config.devServerPort}`;
  const uiUrl = `http://localhost:${config.devUiPort}`;
  if (await portOpen(config.devServerPort)) {
    await waitForTemporal(address, 30_000);
    return { address, uiUrl, started: false, pid: await readPid(config) };
  }
  await mkdir(config.home, { recursive: true });
  const bin = await findTemporalCli(config.toolsDir, process.env, log);
  const args = [
    'server', 'start-dev',
    '--db-filename', join(config.home, 'temporal.db'),
    '--ip', '127.0.0.1',
    '--port', String(config.devServerPort),
    '--ui-port', String(config.devUiPort),
    '--namespace', config.namespace,
    '--log-level', 'warn',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([k, t]) => ['--search-attribute', `${k}=${t}`]),
  ];
  const logFile = await open(join(config.home, 'temporal.log'), 'a');
  log(`starting Temporal dev server on ${address} (UI ${uiUrl})`);
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', logFile.fd, logFile.fd] });
  child.unref();
  await logFile.close();
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`temporal server start-dev exited with code ${code}; see ${join(config.home, 'temporal.log')}`))),
  );
  exited.catch(() => undefined);
  await writeFile(pidFile(config), String(child.pid));
  await Promise.race([waitForTemporal(address, 60_000), exited]);
  return { address, uiUrl, started: true, pid: child.pid ?? null };
}

/** Stops the dev server this home started (no-op when none is running). */
export async function stopDevServer(config: BraiseConfig): Promise<boolean> {
  const pid = await readPid(config);
  if (pid === null) return false;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  await rm(pidFile(config), { force: true });
  return true;
}

function pidFile(config: BraiseConfig): string {
  return join(config.home, 'temporal.pid');
}

async function readPid(config: BraiseConfig): Promise<number | null> {
  try {
    const pid = Number((await readFile(pidFile(config), 'utf8')).trim());
    return Number.isInteger(pid) && alive(pid) ? pid : null;
  } catch {
    return null;
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
