import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { isRecord } from './doc-json.ts';
import { DatasetInputError } from './errors.ts';
import type { Doc } from './types.ts';

/** Options of {@link readJsonl}. */
export interface JsonlOptions {
  /** Stop after this many documents. */
  limit?: number;
  /** How errors name the file (e.g. the path as the user wrote it); default: the path as given. */
  displayPath?: string;
}

const DOC_FIELDS = new Set(['id', 'text', 'domain', 'license', 'meta']);
const GZIP_MAGIC = [0x1f, 0x8b];

async function isGzip(file: string, display: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? err.code : undefined;
    if (code === 'ENOENT') throw new DatasetInputError(`${display}: file not found (${path.resolve(file)})`, { cause: err });
    if (code === 'EISDIR') throw new DatasetInputError(`${display}: is a directory, expected a .jsonl or .jsonl.gz file`);
    throw new DatasetInputError(`${display}: cannot open: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    if ((await handle.stat()).isDirectory()) throw new DatasetInputError(`${display}: is a directory, expected a .jsonl or .jsonl.gz file`);
    if (file.endsWith('.gz')) return true;
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/** Yields the lines of a text stream (without `\n` / `\r\n`); stream errors (e.g. corrupt gzip) are thrown. */
async function* lines(stream: Readable): AsyncGenerator<string> {
  stream.setEncoding('utf8');
  let rest = '';
  for await (const chunk of stream) {
    const parts = (rest + String(chunk)).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) yield part.endsWith('\r') ? part.slice(0, -1) : part;
  }
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

function optionalString(obj: Record<string, unknown>, key: string): string | undefined | Error {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : new Error(`"${key}" must be a string`);
}

/** Turns one parsed line into a Doc, or an error message. */
function toDoc(value: unknown, defaultId: string): Doc | string {
  if (!isRecord(value)) return 'expected a JSON object';
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
 * Streams documents from a JSONL file, gzipped or not (by `.gz` extension or magic bytes). Each non-blank
 * line is a JSON object with a non-empty string `text`; `id` defaults to `<basename>:<line>` (1-based),
 * `domain` and `license` are optional strings, a `meta` object and every other field go to `meta`.
 * Throws {@link DatasetInputError} naming `file:line` for a bad line or a duplicate id, and naming the
 * path for a missing or unreadable file.
 */
export async function* iterateJsonl(file: string, opts: JsonlOptions = {}): AsyncGenerator<Doc> {
  const display = opts.displayPath ?? file;
  const limit = opts.limit ?? Infinity;
  if (limit <= 0) return;
  const gz = await isGzip(file, display);
  const raw = createReadStream(file);
  const stream = gz ? raw.pipe(createGunzip()) : raw;
  // pipe() does not forward source errors; surface them through the stream we iterate.
  if (gz) raw.on('error', (err) => stream.destroy(err));
  const base = path.basename(file);
  const seen = new Map<string, number>();
  let lineNo = 0;
  let count = 0;
  try {
    for await (const line of lines(stream)) {
      lineNo += 1;
      const text = lineNo === 1 ? line.replace(/^\uFEFF/, '') : line;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new DatasetInputError(`${display}:${lineNo}: invalid JSON: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      const doc = toDoc(value, `${base}:${lineNo}`);
      if (typeof doc === 'string') throw new DatasetInputError(`${display}:${lineNo}: ${doc}`);
      const first = seen.get(doc.id);
      if (first !== undefined) throw new DatasetInputError(`${display}:${lineNo}: duplicate id "${doc.id}" (first on line ${first})`);
      seen.set(doc.id, lineNo);
      yield doc;
      count += 1;
      if (count >= limit) return;
    }
  } catch (err) {
    if (err instanceof DatasetInputError) throw err;
    throw new DatasetInputError(`${display}: cannot read${gz ? ' (gzip)' : ''}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    stream.destroy();
    raw.destroy();
  }
}

/** All documents of a JSONL file (see {@link iterateJsonl}). */
export async function readJsonl(file: string, opts: JsonlOptions = {}): Promise<Doc[]> {
  const out: Doc[] = [];
  for await (const doc of iterateJsonl(file, opts)) out.push(doc);
  return out;
}
