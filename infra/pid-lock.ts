/**
 * An exclusive lock held by one process, as a file naming its pid. PGlite is a
 * single-process database: two processes opening the same directory would
 * corrupt it, so the embedded lineage database is opened under this lock.
 */
import { open, readFile, rm } from 'node:fs/promises';

export class LockHeldError extends Error {
  constructor(readonly path: string, readonly pid: number) {
    super(`${path} is held by running process ${pid}`);
    this.name = 'LockHeldError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock (replacing a stale one left by a dead process); returns its release function. */
export async function acquirePidLock(path: string): Promise<() => Promise<void>> {
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return async () => {
        const owner = Number(await readFile(path, 'utf8').catch(() => ''));
        if (owner === process.pid) await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new LockHeldError(path, pid);
      await rm(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
}
