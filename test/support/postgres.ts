/**
 * A PostgreSQL server of a test's own, from the Debian `postgresql` package's binaries (initdb, pg_ctl) on a
 * port of its own, in a temp directory: for tests that stop and restart it, or want a database nothing else
 * writes. Run as root (the server runs as the `postgres` user); {@link PGBIN} is null where it cannot.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The newest `/usr/lib/postgresql/<version>/bin`, or null when PostgreSQL is not installed or this is not root. */
export const PGBIN = (() => {
  if (process.getuid?.() !== 0) return null;
  try {
    const dirs = execFileSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin 2>/dev/null'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    return dirs.sort().pop() ?? null;
  } catch {
    return null;
  }
})();

/** Runs a PostgreSQL binary as the `postgres` user (initdb and the server refuse to run as root), from `cwd`. */
function asPostgres(cmd: string, cwd: string): void {
  execFileSync('su', ['postgres', '-c', cmd], { stdio: 'pipe', cwd });
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * A port below the kernel's ephemeral range (32768+), so no client socket of the suite can be holding it
 * when the server starts or restarts on it.
 */
async function serverPort(): Promise<number> {
  for (;;) {
    const port = 30_000 + Math.floor(Math.random() * 2_500);
    if (await portFree(port)) return port;
  }
}

/** A test's own Postgres server: {@link TestPostgres.create} makes its cluster and starts it. */
export class TestPostgres {
  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** initdb in a temp directory (trust auth, user `postgres`) and start the server on a free port. */
  static async create(): Promise<TestPostgres> {
    if (!PGBIN) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql), or not root');
    const dir = mkdtempSync(join(tmpdir(), 'braise-test-pg-'));
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })));
    asPostgres(`${PGBIN}/initdb -D ${join(dir, 'data')} -U postgres --auth=trust`, dir);
    const pg = new TestPostgres(dir, await serverPort());
    pg.start();
    return pg;
  }

  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): void {
    this.pgctl('start');
  }

  stop(): void {
    this.pgctl('stop');
  }

  /** Stops the server (if running) and deletes its directory. */
  destroy(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** pg_ctl as `postgres`; a failure quotes pg_ctl's output and the server log's tail, not just the command. */
  private pgctl(action: string): void {
    const { dir, port } = this;
    try {
      asPostgres(`${PGBIN}/pg_ctl -D ${join(dir, 'data')} -o '-p ${port} -k ${dir} -c listen_addresses=127.0.0.1' -l ${dir}/log -w -m fast ${action}`, dir);
    } catch (err) {
      const e = err as { stdout?: Buffer; stderr?: Buffer };
      const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').split('\n').slice(-15).join('\n') : '(no log)';
      throw new Error(`pg_ctl ${action} on port ${port} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}\nserver log:\n${log}`, { cause: err });
    }
  }
}
