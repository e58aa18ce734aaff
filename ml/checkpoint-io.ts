import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { formatIssues } from './config.ts';
import { JobInputError } from './errors.ts';

/*
 * Low-level file helpers for checkpoint and model directories: atomic directory writes, float32
 * tensor files, validated JSON reads.
 */

/** One entry of `weights.json` / `optimizer.json`: a float32 tensor at `byteOffset` in the .bin file. */
export interface TensorEntry {
  name: string;
  shape: number[];
  byteOffset: number;
}

const tensorEntrySchema = z.strictObject({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  byteOffset: z.number().int().nonnegative(),
});
export const tensorIndexSchema = z.array(tensorEntrySchema);

/** Writes `file` and flushes it to disk, so a rename after it never exposes a partial file. */
export async function writeFileSynced(file: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Pretty JSON, synced. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileSynced(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Concatenates float32 tensors (little-endian, as every supported platform stores them) into
 * `<dir>/<base>.bin` and returns the index for `<base>.json`.
 */
export async function writeTensors(
  dir: string,
  base: string,
  tensors: ReadonlyArray<{ name: string; shape: number[]; data: Float32Array }>,
): Promise<TensorEntry[]> {
  const index: TensorEntry[] = [];
  let offset = 0;
  for (const t of tensors) {
    index.push({ name: t.name, shape: t.shape, byteOffset: offset });
    offset += t.data.byteLength;
  }
  const buf = new Uint8Array(offset);
  tensors.forEach((t, i) => buf.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), index[i]!.byteOffset));
  await writeFileSynced(path.join(dir, `${base}.bin`), buf);
  return index;
}

/** Reads tensors written by {@link writeTensors}; throws a {@link JobInputError} naming the file on any inconsistency. */
export async function readTensors(dir: string, base: string, index: TensorEntry[]): Promise<Map<string, Float32Array>> {
  const file = path.join(dir, `${base}.bin`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new JobInputError(`${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  const out = new Map<string, Float32Array>();
  for (const e of index) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.byteOffset + n * 4 > bytes.length) {
      throw new JobInputError(`${file}: tensor '${e.name}' [${e.shape}] at byte ${e.byteOffset} runs past the end (${bytes.length} bytes)`);
    }
    // Copy into a fresh, aligned buffer: Buffer slices may be unaligned or pooled.
    const data = new Float32Array(n);
    new Uint8Array(data.buffer).set(bytes.subarray(e.byteOffset, e.byteOffset + n * 4));
    out.set(e.name, data);
  }
  return out;
}

/** Reads and validates a JSON file; errors name the file and the field path. */
export async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new JobInputError(`${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new JobInputError(`${file}: invalid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new JobInputError(formatIssues(file, parsed.error));
  return parsed.data;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Builds directory `dir` atomically: `fill` writes into `<dir>.tmp-<pid>`, which is then renamed to
 * `dir`. A process killed mid-write leaves only the temp directory (never a torn `dir`); an existing
 * `dir` is replaced.
 */
export async function writeDirAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  // Make the rename itself durable.
  const parent = await open(path.dirname(dir), 'r');
  try {
    await parent.sync();
  } finally {
    await parent.close();
  }
}

/** Removes `*.tmp-<pid>` leftovers in `root` whose writer process is gone. */
export async function removeStaleTemps(root: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /\.tmp-(\d+)$/.exec(name);
    if (m !== null && !pidAlive(Number(m[1]))) await rm(path.join(root, name), { recursive: true, force: true });
  }
}

/** Throws a {@link JobInputError} unless `dir` is missing or an empty directory. */
export async function assertEmptyOrMissing(dir: string, field: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new JobInputError(`${field}: ${dir}: ${(err as Error).message}`, { cause: err });
  }
  if (names.length > 0) throw new JobInputError(`${field}: ${dir} already exists and is not empty`);
}
