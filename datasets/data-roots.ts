/**
 * Data roots: the directories `file:` sources may read. A recipe sent over HTTP is outside input, and
 * without roots it could name any file the worker can read (`/etc/passwd`, `/proc/self/environ`, a
 * symlink into them). Paths are resolved to their real path (symlinks followed) before the containment
 * check, once when a run starts (so a bad path is a 422 / exit 2) and again when the worker opens the
 * file, which then reads the very file it checked: a symlink swapped after validation cannot escape.
 *
 * `null` roots mean unrestricted: a trusted local caller (tests, scripts) that set none.
 */
import { constants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatasetInputError } from './errors.ts';

/** The directories `file:` sources may read; `null`: no restriction. */
export type DataRoots = readonly string[] | null;

/** `BRAISE_DATA_ROOTS`: colon- or comma-separated directories, resolved against `cwd`; unset or empty → null. */
export function parseDataRoots(raw: string | undefined, cwd: string): string[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  return [...new Set(raw.split(/[:,]/).map((r) => r.trim()).filter((r) => r !== '').map((r) => path.resolve(cwd, r)))];
}

/** The absolute path a `file:` reference (`file:<path>` after the scheme, or `file://<abs>`) names. */
export function resolveFileRef(ref: string, cwd: string): string {
  return ref.startsWith('//') ? fileURLToPath(`file:${ref}`) : path.resolve(cwd, ref);
}

function errCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function inside(p: string, root: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Each root as written and as its real path (a root that does not exist contains nothing real). */
async function resolvedRoots(roots: readonly string[]): Promise<Array<{ lexical: string; real: string | null }>> {
  return Promise.all(
    roots.map(async (r) => ({ lexical: path.resolve(r), real: await realpath(r).catch(() => null) })),
  );
}

/** The real path of `p`, following symlinks through its longest existing prefix (the rest may not exist yet). */
async function realpathOfExisting(p: string): Promise<string> {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(await realpath(cur), ...rest);
    } catch (err) {
      const parent = path.dirname(cur);
      if (errCode(err) !== 'ENOENT' || parent === cur) throw err;
      rest.unshift(path.basename(cur));
      cur = parent;
    }
  }
}

function noRoots(display: string): string {
  return `${display}: file: sources are not allowed here, no data roots are configured (BRAISE_DATA_ROOTS on the server lists the directories runs may read)`;
}

function outside(display: string, roots: readonly string[], viaLink: boolean): string {
  return `${display} is outside the allowed data roots${viaLink ? ' (through a symbolic link)' : ''}: ${roots.join(', ')} (BRAISE_DATA_ROOTS)`;
}

/**
 * Checks, before a run starts, that `abs` lies inside `roots` once symlinks are resolved. Returns the
 * problem (naming `display` and the roots) or null. A file that does not exist yet is fine if its
 * directory is inside: the run will say "file not found" at ingest and can be resumed once it is there.
 * Every path outside gets the same answer, whether it exists or not, so nothing is learnt about it.
 */
export async function dataRootProblem(abs: string, roots: DataRoots, display: string): Promise<string | null> {
  if (roots === null) return null;
  if (roots.length === 0) return noRoots(display);
  const lexical = path.resolve(abs);
  const rs = await resolvedRoots(roots);
  const asWritten = rs.some((r) => inside(lexical, r.lexical) || (r.real !== null && inside(lexical, r.real)));
  let real: string;
  try {
    real = await realpathOfExisting(lexical);
  } catch (err) {
    return asWritten ? `${display}: cannot resolve the path (${errCode(err) ?? 'error'})` : outside(display, roots, false);
  }
  if (rs.some((r) => r.real !== null && inside(real, r.real))) return null;
  return outside(display, roots, asWritten);
}

/**
 * Opens a source file for reading, refusing anything outside `roots` (after resolving symlinks) and
 * anything that is not a regular file. The file opened is the real path that was checked, opened
 * without following a final symlink, and verified again after opening. Errors are
 * {@link DatasetInputError}s naming `display`; none quotes the file.
 */
export async function openSourceFile(abs: string, roots: DataRoots, display: string): Promise<FileHandle> {
  const lexical = path.resolve(abs);
  let target = lexical;
  if (roots !== null) {
    const problem = await dataRootProblem(lexical, roots, display);
    if (problem !== null) throw new DatasetInputError(problem);
    try {
      target = await realpath(lexical);
    } catch (err) {
      if (errCode(err) === 'ENOENT') throw new DatasetInputError(`${display}: file not found (${lexical})`, { cause: err });
      throw new DatasetInputError(`${display}: cannot open (${errCode(err) ?? 'error'})`, { cause: err });
    }
    const rs = await resolvedRoots(roots);
    if (!rs.some((r) => r.real !== null && inside(target, r.real))) throw new DatasetInputError(outside(display, roots, true));
  }
  let handle: FileHandle;
  try {
    handle = await open(target, constants.O_RDONLY | constants.O_NONBLOCK | (roots !== null ? constants.O_NOFOLLOW : 0));
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT') throw new DatasetInputError(`${display}: file not found (${lexical})`, { cause: err });
    if (code === 'EISDIR') throw new DatasetInputError(`${display}: is a directory, expected a .jsonl or .jsonl.gz file`);
    if (code === 'ELOOP') throw new DatasetInputError(`${display}: changed into a symbolic link while being opened`);
    throw new DatasetInputError(`${display}: cannot open: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new DatasetInputError(`${display}: is a directory, expected a .jsonl or .jsonl.gz file`);
    if (!st.isFile()) throw new DatasetInputError(`${display}: not a regular file`);
    if (roots !== null) {
      // Between realpath and open a directory on the way could have been swapped for a symlink: the file
      // we hold must still be the one at the checked real path.
      const now = await stat(target).catch(() => null);
      if (now === null || now.ino !== st.ino || now.dev !== st.dev || (await realpath(target).catch(() => null)) !== target) {
        throw new DatasetInputError(`${display}: changed while being opened`);
      }
    }
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}
