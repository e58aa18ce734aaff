/**
 * JSONL and JSONL.gz files as documents: the reader behind `file:` sources. Streams with bounded
 * memory under explicit limits, and its errors name the file, the line and what is wrong, never the
 * line's content (the file may be anything the worker can read).
 */
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { type DataRoots, openSourceFile } from './data-roots.ts';
import { isRecord, jsonProblem } from './doc-json.ts';
import { DatasetInputError } from './errors.ts';
import { DEFAULT_INGEST_LIMITS, INGEST_LIMIT_ENV, IngestLimitError, type IngestLimits } from './limits.ts';
import { boundedLines } from './lines.ts';
import { aRow, type RowShape, ROW_FIELDS, ROW_SCHEMAS, rowProblem, rowText } from './posttrain/rows.ts';
import type { Doc } from './types.ts';

/** Options of {@link readJsonl}. */
export interface JsonlOptions {
  /** Stop after this many documents. */
  limit?: number;
  /** How errors name the file (e.g. the path as the user wrote it); default: the path as given. */
  displayPath?: string;
  /** Directories the file must lie in, symlinks resolved (see `data-roots.ts`); default null: anywhere. */
  dataRoots?: DataRoots;
  /** Line, document and byte limits; unset ones are {@link DEFAULT_INGEST_LIMITS}. */
  limits?: Partial<IngestLimits>;
  /** Aborting stops the read (the iterator throws the signal's reason). */
  signal?: AbortSignal;
  /** Lines are post-training rows of this shape (posttrain/rows.ts) instead of documents with a `text`. */
  shape?: RowShape;
}

const DOC_FIELDS = new Set(['id', 'text', 'domain', 'license', 'meta']);
const GZIP_MAGIC = [0x1f, 0x8b];

async function isGzip(handle: FileHandle, file: string): Promise<boolean> {
  if (file.endsWith('.gz')) return true;
  const head = Buffer.alloc(2);
  const { bytesRead } = await handle.read(head, 0, 2, 0);
  return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

function optionalString(obj: Record<string, unknown>, key: string): string | undefined | Error {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : new Error(`"${key}" must be a string`);
}

/**
 * Turns one parsed line into a Doc, or an error message. With a row `shape`, the row's fields are required
 * instead of `text`, go to `meta` (where stages read them back) and make the `text` (rows.ts's rowText).
 */
function toDoc(raw: unknown, defaultId: string, shape: RowShape | undefined): Doc | string {
  if (!isRecord(raw)) return 'expected a JSON object';
  let value = raw;
  if (shape !== undefined) {
    const problem = rowProblem(shape, raw);
    if (problem !== null) return problem;
    if (raw.text !== undefined) return `"text" is not a field of ${aRow(shape)}: its text is made from ${ROW_FIELDS[shape].join(', ')}`;
    value = { ...raw, text: rowText(shape, ROW_SCHEMAS[shape].parse(raw)) };
  }
  const { id, text, meta } = value;
  const rest: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (!DOC_FIELDS.has(key)) rest[key] = field;
  if (typeof text !== 'string') return 'expected a string "text" field';
  if (text.trim() === '') return '"text" is empty';
  let docId = defaultId;
  if (typeof id === 'number' && Number.isFinite(id)) docId = String(id);
  else if (typeof id === 'string' && id !== '') docId = id;
  else if (id !== undefined && id !== null) return '"id" must be a non-empty string or a number';
  const domain = optionalString(value, 'domain');
  if (domain instanceof Error) return domain.message;
  const license = optionalString(value, 'license');
  if (license instanceof Error) return license.message;
  if (meta !== undefined && meta !== null && !isRecord(meta)) return '"meta" must be an object';
  const docMeta = { ...(isRecord(meta) ? meta : {}), ...rest };
  const doc: Doc = { id: docId, text };
  if (domain !== undefined) doc.domain = domain;
  if (license !== undefined) doc.license = license;
  if (Object.keys(docMeta).length > 0) doc.meta = docMeta;
  return doc;
}

/**
 * Streams documents from a JSONL file, gzipped or not (by `.gz` extension or magic bytes), line by line
 * with bounded memory (see `lines.ts`). Each non-blank line is a JSON object with a non-empty string
 * `text`; `id` defaults to `<basename>:<line>` (1-based), `domain` and `license` are optional strings, a
 * `meta` object and every other field go to `meta`. Throws {@link DatasetInputError} naming `file:line`
 * for a bad line or a duplicate id, naming the path for a missing, unreadable or disallowed file, and an
 * {@link IngestLimitError} naming the limit. No message quotes the file's content.
 */
export async function* iterateJsonl(file: string, opts: JsonlOptions = {}): AsyncGenerator<Doc> {
  const display = opts.displayPath ?? file;
  const limit = opts.limit ?? Infinity;
  if (limit <= 0) return;
  const limits = { ...DEFAULT_INGEST_LIMITS, ...opts.limits };
  const handle = await openSourceFile(file, opts.dataRoots ?? null, display);
  let gz: boolean;
  try {
    gz = await isGzip(handle, file);
  } catch (err) {
    await handle.close();
    throw new DatasetInputError(`${display}: cannot read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const raw = handle.createReadStream({ start: 0, highWaterMark: 64 * 1024 });
  const gunzip = gz ? createGunzip({ chunkSize: 64 * 1024 }) : null;
  // pipe() keeps backpressure but does not forward source errors; surface them through the stream we iterate.
  const stream = gunzip ? raw.pipe(gunzip) : raw;
  if (gunzip) raw.on('error', (err) => gunzip.destroy(err));
  const onAbort = () => stream.destroy(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const base = path.basename(file);
  const seen = new Map<string, number>();
  let count = 0;
  try {
    for await (const { lineNo, bytes } of boundedLines(stream, limits, display, gz)) {
      let text = bytes.toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (lineNo === 1) text = text.replace(/^\uFEFF/, '');
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new DatasetInputError(`${display}:${lineNo}: ${jsonProblem(err)}`);
      }
      const doc = toDoc(value, `${base}:${lineNo}`, opts.shape);
      if (typeof doc === 'string') throw new DatasetInputError(`${display}:${lineNo}: ${doc}`);
      const first = seen.get(doc.id);
      // The id is the file's content: name the lines, not the id.
      if (first !== undefined) throw new DatasetInputError(`${display}:${lineNo}: duplicate id (the same as on line ${first})`);
      if (count >= limits.maxDocs) {
        throw new IngestLimitError(`${display}:${lineNo}: more than ${limits.maxDocs} document${limits.maxDocs === 1 ? '' : 's'} (${INGEST_LIMIT_ENV.maxDocs}); stopped reading there`, 'maxDocs');
      }
      seen.set(doc.id, lineNo);
      yield doc;
      count += 1;
      if (count >= limit) return;
    }
  } catch (err) {
    if (err instanceof DatasetInputError) throw err;
    if (opts.signal?.aborted === true) throw opts.signal.reason;
    throw new DatasetInputError(`${display}: cannot read${gz ? ' (gzip)' : ''}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    stream.destroy();
    raw.destroy();
    await handle.close().catch(() => undefined);
  }
}

/** All documents of a JSONL file (see {@link iterateJsonl}). */
export async function readJsonl(file: string, opts: JsonlOptions = {}): Promise<Doc[]> {
  const out: Doc[] = [];
  for await (const doc of iterateJsonl(file, opts)) out.push(doc);
  return out;
}
