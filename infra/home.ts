/**
 * The Braise home is private: it holds the lineage database, Temporal's SQLite
 * file, artifacts, checkpoints and the API token. It is created 0700, and an
 * existing one with looser permissions is tightened, so no other user of the
 * machine can read any of it whatever mode the files inside were given.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';

export const HOME_MODE = 0o700;
/** Mode of every file Braise itself writes into the home. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `home` (mode 0700) or tightens an existing one to 0700. A directory that is plainly not a Braise home
 * (`/`, the user's home directory, a sticky shared directory like /tmp, one owned by someone else) is left as it is:
 * `warn` is told why.
 */
export async function prepareHome(home: string, warn: (message: string) => void = () => {}): Promise<void> {
  const dir = resolve(home);
  await mkdir(dirname(dir), { recursive: true });
  try {
    await mkdir(dir, { mode: HOME_MODE });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = await stat(dir);
  if ((st.mode & 0o077) === 0) return;
  const reason = refuseToTighten(dir, st);
  if (reason) {
    warn(`BRAISE_HOME ${dir} is readable by other users and ${reason}; its state (lineage, Temporal history, artifacts) is not private`);
    return;
  }
  await chmod(dir, HOME_MODE);
}

function refuseToTighten(dir: string, st: { mode: number; uid: number }): string | null {
  if (dir === '/' || dir === resolve(homedir())) return 'is the root or your home directory, so Braise leaves its mode alone';
  if ((st.mode & 0o1000) !== 0) return 'is a shared sticky directory, so Braise leaves its mode alone';
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return 'belongs to another user, so Braise cannot tighten it';
  return null;
}
