/**
 * Dataset artifacts: JSONL shards plus a manifest (document and byte counts per shard and domain).
 * Written and read as streams, one document at a time, so a dataset's size never sets a worker's memory.
 */
import { createReadStream } from 'node:fs';
import { open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { ArtifactStore } from './artifact-store.ts';
import { docToLine, jsonProblem, parseDoc } from './doc-json.ts';
import { DatasetInputError } from './errors.ts';
import type { ArtifactRef, Doc } from './types.ts';

/** The manifest format this module writes and reads. */
export const DATASET_FORMAT = 'braise.dataset/v1';

/** The domain under which documents without a `domain` are counted in a manifest. */
export const UNKNOWN_DOMAIN = 'unknown';

const countsSchema = z.object({ docs: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() });

const manifestSchema = z.looseObject({
  format: z.literal(DATASET_FORMAT),
  docs: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  shards: z.array(z.object({ file: z.string().regex(/^shard-\d{5,}\.jsonl$/), ...countsSchema.shape })),
  domains: z.record(z.string(), countsSchema),
});

/**
 * `manifest.json` of a dataset artifact. `bytes` count the UTF-8 bytes of document texts (not of the
 * JSONL); `domains` is keyed by `Doc.domain` ({@link UNKNOWN_DOMAIN} for documents without one) and sorted.
 * Fields passed as `opts.manifest` to {@link writeDataset} appear alongside.
 */
export type DatasetManifest = z.infer<typeof manifestSchema>;

const CORE_FIELDS = new Set(['format', 'docs', 'bytes', 'shards', 'domains']);

/** Shard file name for a 0-based index: `shard-00000.jsonl`. */
export function shardName(index: number): string {
  return `shard-${String(index).padStart(5, '0')}.jsonl`;
}

/**
 * Writes `docs` as a dataset artifact: JSONL shards of up to `shardDocs` documents (default 1000) and a
 * manifest. The ref's meta is `opts.meta` plus `{ docs, bytes, domains }` (domain names, sorted). The
 * content (and so the id) depends only on the documents, their order, `shardDocs` and `opts.manifest`:
 * the same docs in the same order give the same id.
 */
export async function writeDataset(
  store: ArtifactStore,
  docs: Iterable<Doc> | AsyncIterable<Doc>,
  opts: { shardDocs?: number; meta?: Record<string, unknown>; manifest?: Record<string, unknown> } = {},
): Promise<ArtifactRef> {
  const shardDocs = opts.shardDocs ?? 1000;
  if (!Number.isInteger(shardDocs) || shardDocs < 1) throw new Error(`shardDocs must be a positive integer, got ${shardDocs}`);
  for (const key of Object.keys(opts.manifest ?? {})) {
    if (CORE_FIELDS.has(key)) throw new Error(`manifest field "${key}" is computed by writeDataset and cannot be set`);
  }

  const dir = await store.stage();
  let shard: ShardWriter | null = null;
  try {
    const shards: DatasetManifest['shards'] = [];
    const domains = new Map<string, { docs: number; bytes: number }>();
    let total = 0;
    let totalBytes = 0;

    for await (const input of docs) {
      const doc = parseDoc(input);
      if (typeof doc === 'string') throw new DatasetInputError(`writeDataset: document #${total + 1}: ${doc}`);
      const bytes = Buffer.byteLength(doc.text, 'utf8');
      shard ??= await ShardWriter.open(path.join(dir, shardName(shards.length)));
      await shard.write(`${docToLine(doc)}\n`, bytes);
      total += 1;
      totalBytes += bytes;
      const domain = domains.get(doc.domain ?? UNKNOWN_DOMAIN) ?? { docs: 0, bytes: 0 };
      domain.docs += 1;
      domain.bytes += bytes;
      domains.set(doc.domain ?? UNKNOWN_DOMAIN, domain);
      if (shard.docs === shardDocs) {
        shards.push(await shard.close());
        shard = null;
      }
    }
    if (shard !== null) {
      shards.push(await shard.close());
      shard = null;
    }

    const domainNames = [...domains.keys()].sort();
    const domainCounts: DatasetManifest['domains'] = {};
    for (const name of domainNames) domainCounts[name] = domains.get(name) ?? { docs: 0, bytes: 0 };
    const manifest: DatasetManifest = {
      format: DATASET_FORMAT,
      docs: total,
      bytes: totalBytes,
      shards,
      domains: domainCounts,
      ...opts.manifest,
    };
    await writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return await store.commit(dir, 'dataset', { ...opts.meta, docs: total, bytes: totalBytes, domains: domainNames });
  } catch (err) {
    await shard?.abandon();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Writes one shard as lines arrive, in chunks of about {@link WRITE_CHUNK} bytes: a shard of large
 * documents is never held in memory whole, and the bytes are exactly the lines' concatenation.
 */
class ShardWriter {
  docs = 0;
  private bytes = 0;
  private pending: string[] = [];
  private pendingBytes = 0;

  private constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(file: string): Promise<ShardWriter> {
    return new ShardWriter(file, await open(file, 'w'));
  }

  /** Appends one line (with its newline); `textBytes` counts toward the shard's manifest bytes. */
  async write(line: string, textBytes: number): Promise<void> {
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.docs += 1;
    this.bytes += textBytes;
    if (this.pendingBytes >= WRITE_CHUNK) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.writeFile(chunk);
  }

  async close(): Promise<DatasetManifest['shards'][number]> {
    await this.flush();
    await this.handle.close();
    return { file: path.basename(this.file), docs: this.docs, bytes: this.bytes };
  }

  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

const WRITE_CHUNK = 1024 * 1024;

/** The validated manifest of a dataset artifact; throws if the artifact is missing or not a dataset. */
export async function readManifest(store: ArtifactStore, id: string): Promise<DatasetManifest> {
  const ref = await store.get(id);
  if (ref.kind !== 'dataset') throw new Error(`artifact ${id} is a ${ref.kind}, not a dataset`);
  const parsed = manifestSchema.safeParse(await store.readJson(id, 'manifest.json'));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`artifact ${id}: manifest.json: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Absolute paths of a dataset's shards, in order. */
export async function shardPaths(store: ArtifactStore, id: string): Promise<string[]> {
  const manifest = await readManifest(store, id);
  return Promise.all(manifest.shards.map((shard) => store.filePath(id, shard.file)));
}

/** Streams a dataset's documents in order, one shard in memory at a time at most (line by line). */
export async function* readDataset(store: ArtifactStore, id: string): AsyncGenerator<Doc> {
  for (const file of await shardPaths(store, id)) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const line of lines) {
      lineNo += 1;
      if (line === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        throw new Error(`artifact ${id}/${path.basename(file)}:${lineNo}: ${jsonProblem(err)}`, { cause: err });
      }
      const doc = parseDoc(value);
      if (typeof doc === 'string') throw new Error(`artifact ${id}/${path.basename(file)}:${lineNo}: ${doc}`);
      yield doc;
    }
  }
}

/** All documents of a dataset, in order. */
export async function readDatasetAll(store: ArtifactStore, id: string): Promise<Doc[]> {
  const out: Doc[] = [];
  for await (const doc of readDataset(store, id)) out.push(doc);
  return out;
}
