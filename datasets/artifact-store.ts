import { randomBytes } from 'node:crypto';
import { cp, link, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ArtifactNotFoundError } from './errors.ts';
import { hashDir } from './hash-dir.ts';
import { ARTIFACT_KINDS, type ArtifactKind, type ArtifactRef } from './types.ts';

export { ArtifactNotFoundError } from './errors.ts';

const ID_RE = /^[0-9a-f]{64}$/;
const STAGING = '.staging';

/** An {@link ArtifactRef} as stored beside its artifact (parsed where it is read back). */
export const storedRefSchema = z.object({
  id: z.string().regex(ID_RE),
  kind: z.enum(ARTIFACT_KINDS),
  uri: z.string(),
  bytes: z.number().int().nonnegative(),
  meta: z.record(z.string(), z.unknown()),
});

/** True when `id` has the shape of an artifact id (64 lowercase hex digits). */
export function isArtifactId(id: string): boolean {
  return ID_RE.test(id);
}

function errCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/**
 * Content-addressed, immutable artifacts on a filesystem: `root/<id>/` holds the content and
 * `root/<id>.json` the {@link ArtifactRef}. The ref file is written last, so it marks a complete artifact.
 * Safe for concurrent writers (several workers on shared storage): every publish is a rename or a
 * hard link, which the filesystem makes atomic, and identical content always lands on the same id.
 */
export class ArtifactStore {
  /** Absolute path of the store's root. */
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** A fresh private scratch directory (`root/.staging/<random>`) for a stage to write into. */
  async stage(): Promise<string> {
    const staging = path.join(this.root, STAGING);
    await mkdir(staging, { recursive: true });
    return mkdtemp(path.join(staging, 'stage-'));
  }

  /**
   * Publishes `dir` as an artifact and returns its ref. The id is sha256 over the kind and the sorted
   * relative paths, sizes and bytes of the files (streamed); `meta` is stored but not hashed. The directory
   * is renamed to `root/<id>`; if that artifact already exists (same content) the directory is deleted
   * and the existing ref — with the first committer's meta — is returned. A directory outside the store's
   * filesystem is copied in first. `dir` is gone after a successful commit.
   */
  async commit(dir: string, kind: ArtifactKind, meta: Record<string, unknown> = {}): Promise<ArtifactRef> {
    if (!ARTIFACT_KINDS.includes(kind)) throw new Error(`unknown artifact kind "${String(kind)}"`);
    const src = path.resolve(dir);
    const { id, bytes } = await hashDir(src, kind);
    const target = await this.place(src, id);
    const ref: ArtifactRef = { id, kind, uri: pathToFileURL(target).href, bytes, meta };
    await this.publishRef(ref);
    return this.get(id);
  }

  /**
   * Moves the finished directory `src` to `root/<id>` (a rename, or a copy from another filesystem); if that
   * artifact is already there (same id, same content) `src` is deleted instead. Returns the target.
   */
  protected async place(src: string, id: string): Promise<string> {
    const target = this.dir(id);
    await mkdir(this.root, { recursive: true });
    try {
      await rename(src, target);
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        // Same id => same content, already published (perhaps by a concurrent commit): ours is redundant.
        await rm(src, { recursive: true, force: true });
      } else if (code === 'EXDEV') {
        await this.copyIn(src, target);
      } else {
        throw err;
      }
    }
    return target;
  }

  /** The ref of a committed artifact; throws {@link ArtifactNotFoundError} naming the id. */
  async get(id: string): Promise<ArtifactRef> {
    if (!isArtifactId(id)) throw new ArtifactNotFoundError(id, this.root);
    let text: string;
    try {
      text = await readFile(this.refPath(id), 'utf8');
    } catch (err) {
      if (errCode(err) === 'ENOENT') throw new ArtifactNotFoundError(id, this.root);
      throw err;
    }
    const ref = storedRefSchema.parse(JSON.parse(text));
    // The root may be mounted elsewhere on this machine (shared storage), so the uri is derived, not trusted.
    return { ...ref, uri: pathToFileURL(this.dir(id)).href };
  }

  /** Whether a complete artifact with this id is in the store. */
  async has(id: string): Promise<boolean> {
    if (!isArtifactId(id)) return false;
    try {
      await stat(this.refPath(id));
      return true;
    } catch (err) {
      if (errCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  /** Where the store is, for messages: its root here; a remote store names its bucket and prefix. */
  get location(): string {
    return this.root;
  }

  /**
   * The artifact's directory on this machine, once its content is there: a filesystem store has it already
   * (shared storage); a remote store downloads it into its local cache first. Stages read inputs from
   * {@link dir}, so the worker makes them local with this before a stage runs.
   */
  async ensureLocal(id: string): Promise<string> {
    return this.dir(id);
  }

  /** Whether the store can be reached (readiness): a filesystem store always can; a remote one asks its server. */
  async reachable(): Promise<boolean> {
    return true;
  }

  /** Absolute path of the artifact's directory (whether or not it exists). Throws on a malformed id. */
  dir(id: string): string {
    if (!isArtifactId(id)) throw new Error(`invalid artifact id "${id}": expected 64 lowercase hex digits`);
    return path.join(this.root, id);
  }

  /** Commits `value` as `report.json` (pretty-printed) in an artifact of `kind`. */
  async putJson(kind: ArtifactKind, value: unknown, meta: Record<string, unknown> = {}): Promise<ArtifactRef> {
    const dir = await this.stage();
    try {
      await writeFile(path.join(dir, 'report.json'), `${JSON.stringify(value, null, 2)}\n`);
      return await this.commit(dir, kind, meta);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Parses a JSON file of an artifact (`report.json` unless named). Throws {@link ArtifactNotFoundError}
   * if the artifact is missing. The result is not validated: parse it with a schema where it matters.
   */
  async readJson<T = unknown>(id: string, file = 'report.json'): Promise<T> {
    const abs = await this.filePath(id, file);
    try {
      return JSON.parse(await readFile(abs, 'utf8')) as T;
    } catch (err) {
      if (errCode(err) === 'ENOENT') throw new Error(`artifact ${id} has no file "${file}"`, { cause: err });
      if (err instanceof SyntaxError) throw new Error(`artifact ${id}: ${file} is not valid JSON: ${err.message}`, { cause: err });
      throw err;
    }
  }

  /** Absolute path of `file` inside a committed artifact; rejects paths that leave the artifact. */
  async filePath(id: string, file: string): Promise<string> {
    const base = this.dir(id);
    const abs = path.resolve(base, file);
    if (!abs.startsWith(base + path.sep)) throw new Error(`"${file}" is not a path inside artifact ${id}`);
    if (!(await this.has(id))) throw new ArtifactNotFoundError(id, this.root);
    return abs;
  }

  /**
   * Deletes staging directories not modified for `maxAgeMs` (a killed stage leaves its directory behind).
   * Returns how many were deleted. Pick an age well above the longest stage's quiet time: a live stage's
   * directory is deleted from under it otherwise.
   */
  async cleanStaging(maxAgeMs: number): Promise<number> {
    const staging = path.join(this.root, STAGING);
    let names: string[];
    try {
      names = await readdir(staging);
    } catch (err) {
      if (errCode(err) === 'ENOENT') return 0;
      throw err;
    }
    const cutoff = Date.now() - maxAgeMs;
    let removed = 0;
    for (const name of names) {
      const abs = path.join(staging, name);
      try {
        if ((await stat(abs)).mtimeMs >= cutoff) continue;
        await rm(abs, { recursive: true, force: true });
        removed += 1;
      } catch (err) {
        // Another cleaner or a finishing commit got there first.
        if (errCode(err) !== 'ENOENT') throw err;
      }
    }
    return removed;
  }

  protected refPath(id: string): string {
    return `${this.dir(id)}.json`;
  }

  /** Writes the ref if none exists yet; the first writer wins, atomically (link fails on an existing name). */
  protected async publishRef(ref: ArtifactRef): Promise<void> {
    const final = this.refPath(ref.id);
    const tmp = path.join(this.root, STAGING, `${ref.id}.${randomBytes(6).toString('hex')}.json`);
    await mkdir(path.dirname(tmp), { recursive: true });
    await writeFile(tmp, `${JSON.stringify(ref, null, 2)}\n`);
    try {
      await link(tmp, final);
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err;
    } finally {
      await unlink(tmp);
    }
  }

  private async copyIn(src: string, target: string): Promise<void> {
    const tmp = await this.stage();
    await cp(src, tmp, { recursive: true });
    try {
      await rename(tmp, target);
    } catch (err) {
      const code = errCode(err);
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await rm(tmp, { recursive: true, force: true });
    }
    await rm(src, { recursive: true, force: true });
  }
}
