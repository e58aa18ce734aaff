/**
 * The embedded Temporal: `temporal server start-dev` with its SQLite file under
 * `.braise/` and the Web UI on. It runs detached, so run histories stay
 * viewable in the UI after the command that started it exits; `braise down`
 * stops it. The server belongs to one home: it is started with the home's own
 * namespace, which records the home's path. A server already on the port is
 * reused only when it has this home's namespace; a server of another home (or
 * one that is not Braise's) is refused with what to do, because sharing it
 * would let one home's workers run the other's stages against the wrong
 * artifact store and lineage database.
 */
import { execFile, spawn } from 'node:child_process';
import { open, readFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { canonicalPath, type BraiseConfig } from '../config.ts';
import { PRIVATE_FILE_MODE, prepareHome } from '../home.ts';
import { findTemporalCli } from './cli-binary.ts';

/** Search attributes every Braise run carries (filterable in the UI and by the API). */
export const SEARCH_ATTRIBUTES = { BraiseRecipe: 'Keyword', BraiseStatus: 'Keyword', BraiseSchedule: 'Keyword' } as const;

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

/** The namespace data key that names the home a namespace belongs to. */
export const HOME_DATA_KEY = 'braise.home';

/** Another home's dev server (or a server that is not Braise's) is on this home's port. */
export class DevServerConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevServerConflictError';
  }
}

/** Starts (or reuses) the embedded dev server described by `config`; refuses a server another home started. */
export async function ensureDevServer(config: BraiseConfig, log: (m: string) => void = () => {}): Promise<DevServerHandle> {
  const address = `127.0.0.1:${config.devServerPort}`;
  const uiUrl = `http://localhost:${config.devUiPort}`;
  await prepareHome(config.home, log);
  if (await portOpen(config.devServerPort)) {
    await waitForTemporal(address, 30_000).catch((err: unknown) => {
      throw new DevServerConflictError(
        `something listens on ${address} but does not answer as a Temporal server (${(err as Error).message}). ` + remedy(config, address, false),
      );
    });
    await checkOwner(config, address);
    return { address, uiUrl, started: false, pid: await readPid(config) };
  }
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
  const logFile = await open(join(config.home, 'temporal.log'), 'a', PRIVATE_FILE_MODE);
  log(`starting Temporal dev server on ${address} (UI ${uiUrl}, namespace ${config.namespace})`);
  // The server creates its SQLite files with the umask it inherits: make them private (0600) from the start.
  const umask = process.umask(0o077);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(bin, args, { detached: true, stdio: ['ignore', logFile.fd, logFile.fd] });
  } finally {
    process.umask(umask);
  }
  child.unref();
  await logFile.close();
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`temporal server start-dev exited with code ${code}; see ${join(config.home, 'temporal.log')}`))),
  );
  exited.catch(() => undefined);
  await writePrivate(pidFile(config), String(child.pid));
  await Promise.race([waitForTemporal(address, 60_000), exited]);
  await claimNamespace(config, address);
  return { address, uiUrl, started: true, pid: child.pid ?? null };
}

/** What to do instead of sharing: a port of its own, or the server on purpose through TEMPORAL_ADDRESS. */
function remedy(config: BraiseConfig, address: string, isTemporal: boolean): string {
  return (
    `This home (${config.home}) needs a dev server of its own: set BRAISE_TEMPORAL_PORT (and BRAISE_TEMPORAL_UI_PORT) to free ports` +
    (isTemporal ? `, or set TEMPORAL_ADDRESS=${address} to use that server on purpose (runs then go to its namespace "default", apart from the other home's).` : '.')
  );
}

interface NamespaceOwner {
  namespace: string;
  home: string | null;
}

/** The namespaces on the server and the home each belongs to (null: not a Braise home's). */
async function namespaceOwners(address: string): Promise<NamespaceOwner[]> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const out: NamespaceOwner[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await connection.workflowService.listNamespaces({ pageSize: 100, nextPageToken });
      for (const ns of page.namespaces ?? []) {
        const name = ns.namespaceInfo?.name;
        if (name) out.push({ namespace: name, home: ns.namespaceInfo?.data?.[HOME_DATA_KEY] ?? null });
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return out;
  } finally {
    await connection.close();
  }
}

/**
 * Reuse is allowed only when the server has this home's namespace and that namespace names this home (or no home,
 * e.g. one the server was just started with). Otherwise a {@link DevServerConflictError} says whose server it is.
 */
async function checkOwner(config: BraiseConfig, address: string): Promise<void> {
  const me = canonicalPath(config.home);
  // A server another process of this home has just started may not list its namespace for a moment.
  for (let attempt = 0; ; attempt++) {
    const owners = await namespaceOwners(address);
    const mine = owners.find((o) => o.namespace === config.namespace);
    const others = [...new Set(owners.filter((o) => o.home !== null && o.home !== me).map((o) => o.home!))];
    if (mine && (mine.home === me || mine.home === null)) {
      if (mine.home === null) await claimNamespace(config, address);
      return;
    }
    if (others.length > 0) {
      throw new DevServerConflictError(
        `the Temporal dev server on ${address} belongs to another Braise home (${others.join(', ')}); ` +
          `sharing it would let that home's workers run this home's stages against the wrong artifacts and lineage. ${remedy(config, address, true)}`,
      );
    }
    if (attempt >= 5) {
      throw new DevServerConflictError(
        `the Temporal server on ${address} was not started by this Braise home (it has no namespace ${config.namespace}); ` +
          `it is another program's, or a dev server from an older Braise (then \`braise down\` with the home that started it stops it). ${remedy(config, address, true)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Marks this home's namespace as this home's (its data and its description in the Web UI). Retried for a while:
 * a dev server that has just answered its first RPC can still refuse the next connection for a moment (seen
 * after a restart on its old SQLite file), and the update is idempotent.
 */
async function claimNamespace(config: BraiseConfig, address: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await updateNamespaceHome(config, address);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function updateNamespaceHome(config: BraiseConfig, address: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const home = canonicalPath(config.home);
    await connection.workflowService.updateNamespace({
      namespace: config.namespace,
      updateInfo: { description: `Braise home ${home}`, data: { [HOME_DATA_KEY]: home } },
    });
  } finally {
    await connection.close();
  }
}

/** Stops the dev server this home started (false when none of this home's is running; another home's is never touched). */
export async function stopDevServer(config: BraiseConfig): Promise<boolean> {
  const pid = await readPid(config);
  if (pid === null || !(await isThisHomesServer(pid, config))) {
    await rm(pidFile(config), { force: true });
    return false;
  }
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

/**
 * The pid file may outlive its process and the pid be reused: only a `temporal server start-dev` on this home's
 * SQLite file is this home's server.
 */
async function isThisHomesServer(pid: number, config: BraiseConfig): Promise<boolean> {
  let args: string;
  try {
    args = (await promisify(execFile)('ps', ['-ww', '-o', 'args=', '-p', String(pid)])).stdout;
  } catch {
    return false;
  }
  return args.includes('start-dev') && args.includes(join(config.home, 'temporal.db'));
}

async function writePrivate(path: string, content: string): Promise<void> {
  const fh = await open(path, 'w', PRIVATE_FILE_MODE);
  try {
    await fh.chmod(PRIVATE_FILE_MODE);
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
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
