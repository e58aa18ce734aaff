import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { ConsumedTally, type ConsumedDoc } from './consumed.ts';
import { JobInputError } from './errors.ts';
import { hashSeed, mulberry32 } from './random.ts';
import type { Tokenizer } from './tokenizer.ts';

/** One training/evaluation document as read from a shard. */
export interface ShardDoc {
  id: string;
  text: string;
  domain?: string;
  /** The document's `meta` object, if any (a post-training row lives there: datasets/posttrain/rows.ts). */
  meta?: Record<string, unknown>;
  /** The shard file and 1-based line it came from. */
  shard: string;
  line: number;
}

/** Documents without a `domain` are scored and mixed under this name. */
export const DEFAULT_DOMAIN = 'default';

/**
 * Reads every document of JSONL(.gz) shards, in order. Each non-blank line must be an object with a
 * non-empty string `id`, a string `text` and optionally a string `domain`; anything else throws a
 * {@link JobInputError} naming `file:line` and the field.
 */
export async function readDocs(shards: readonly string[]): Promise<ShardDoc[]> {
  const docs: ShardDoc[] = [];
  for (const shard of shards) {
    try {
      await access(shard);
    } catch {
      throw new JobInputError(`${shard}: shard file not found`);
    }
    const raw = createReadStream(shard);
    const input = shard.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    const lines = createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    try {
      for await (const text of lines) {
        n++;
        if (text.trim() === '') continue;
        docs.push(parseDocLine(text, shard, n));
      }
    } catch (err) {
      if (err instanceof JobInputError) throw err;
      throw new JobInputError(`${shard}:${n}: cannot read shard: ${(err as Error).message}`, { cause: err });
    }
  }
  return docs;
}

function parseDocLine(text: string, shard: string, line: number): ShardDoc {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new JobInputError(`${shard}:${line}: invalid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JobInputError(`${shard}:${line}: expected a JSON object`);
  }
  const o = value as Record<string, unknown>;
  if (typeof o['id'] !== 'string' || o['id'] === '') {
    throw new JobInputError(`${shard}:${line}: id: expected a non-empty string`);
  }
  if (typeof o['text'] !== 'string') throw new JobInputError(`${shard}:${line}: text: expected a string`);
  if (o['domain'] !== undefined && typeof o['domain'] !== 'string') {
    throw new JobInputError(`${shard}:${line}: domain: expected a string`);
  }
  const doc: ShardDoc = { id: o['id'], text: o['text'], shard, line };
  if (typeof o['domain'] === 'string') doc.domain = o['domain'];
  const meta = o['meta'];
  if (meta !== undefined && (typeof meta !== 'object' || meta === null || Array.isArray(meta))) throw new JobInputError(`${shard}:${line}: meta: expected an object`);
  if (meta !== undefined) doc.meta = { ...meta };
  return doc;
}

/** Where one document sits in a {@link TokenStream}: token range [start, end), EOS included. */
export interface DocSpan {
  id: string;
  shard: string;
  line: number;
  start: number;
  end: number;
}

/** All documents tokenized, each followed by EOS, concatenated in shard order. */
export interface TokenStream {
  tokens: Uint16Array;
  docs: DocSpan[];
}

/** Tokenizes `docs` into one stream (doc₁ EOS doc₂ EOS ...). */
export function buildTokenStream(docs: readonly ShardDoc[], tokenizer: Tokenizer): TokenStream {
  const parts: number[][] = [];
  let total = 0;
  for (const d of docs) {
    const ids = tokenizer.encode(d.text);
    ids.push(tokenizer.eosId);
    parts.push(ids);
    total += ids.length;
  }
  const tokens = new Uint16Array(total);
  const spans: DocSpan[] = [];
  let at = 0;
  docs.forEach((d, i) => {
    const ids = parts[i]!;
    tokens.set(ids, at);
    spans.push({ id: d.id, shard: d.shard, line: d.line, start: at, end: at + ids.length });
    at += ids.length;
  });
  return { tokens, docs: spans };
}

/** One training batch: inputs and next-token targets, both `[batchSize, context]` row-major int32. */
export interface Batch {
  inputs: Int32Array;
  targets: Int32Array;
  /** Token range [start, end) of each row's window (context + 1 tokens). */
  windows: Array<[number, number]>;
  /** Ids of the documents the windows overlap, deduplicated, in first-seen order. */
  docIds: string[];
}

/** Window offsets of step `step`: a pure function of (seed, step), independent of earlier steps. */
export function windowOffsets(
  streamLength: number,
  seed: number,
  step: number,
  batchSize: number,
  context: number,
): number[] {
  const maxStart = streamLength - (context + 1);
  if (maxStart < 0) {
    throw new JobInputError(
      `training data has ${streamLength} tokens, fewer than context + 1 = ${context + 1}; add documents or lower model.context`,
    );
  }
  const rng = mulberry32(hashSeed(seed, step));
  return Array.from({ length: batchSize }, () => Math.floor(rng() * (maxStart + 1)));
}

/** Index of the first document whose end is past `start`: docs are contiguous and sorted, so binary search. */
function firstDocEndingAfter(stream: TokenStream, start: number): number {
  let lo = 0;
  let hi = stream.docs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (stream.docs[mid]!.end <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function docsOverlapping(stream: TokenStream, start: number, end: number, out: Set<string>): void {
  for (let i = firstDocEndingAfter(stream, start); i < stream.docs.length && stream.docs[i]!.start < end; i++) out.add(stream.docs[i]!.id);
}

/**
 * The batch for training step `step` (0-based: the batch of update number step + 1). Resuming at
 * step k therefore sees exactly the batches an uninterrupted run sees from k on.
 */
export function batchAt(stream: TokenStream, seed: number, step: number, batchSize: number, context: number): Batch {
  const offsets = windowOffsets(stream.tokens.length, seed, step, batchSize, context);
  const inputs = new Int32Array(batchSize * context);
  const targets = new Int32Array(batchSize * context);
  const ids = new Set<string>();
  const windows: Array<[number, number]> = [];
  offsets.forEach((off, row) => {
    const w = stream.tokens.subarray(off, off + context + 1);
    inputs.set(w.subarray(0, context), row * context);
    targets.set(w.subarray(1), row * context);
    windows.push([off, off + context + 1]);
    docsOverlapping(stream, off, off + context + 1, ids);
  });
  return { inputs, targets, windows, docIds: [...ids] };
}

export type { ConsumedDoc } from './consumed.ts';

/**
 * Which documents steps [fromStep, toStep) consumed, and which of their tokens (see `ml/consumed.ts`).
 * Cheap (no tokens are copied) because batches are a pure function of (seed, step); checkpoints
 * record it as `consumed.json`.
 */
export function consumedDocs(
  stream: TokenStream,
  seed: number,
  fromStep: number,
  toStep: number,
  batchSize: number,
  context: number,
): ConsumedDoc[] {
  const counter = new ConsumedCounter();
  for (let step = fromStep; step < toStep; step++) {
    for (const off of windowOffsets(stream.tokens.length, seed, step, batchSize, context)) counter.addWindow(stream, off, off + context + 1);
  }
  return counter.drain();
}

/**
 * Tallies {@link ConsumedDoc}s as windows are read, for batches that are not a pure function of
 * (seed, step) alone (mixtures, whose weights evolve; decomposed sequences), where
 * {@link consumedDocs} cannot replay them.
 */
export class ConsumedCounter extends ConsumedTally {
  /** One window [start, end) of `stream`: each document it overlaps counts once, with the tokens it overlaps. */
  addWindow(stream: TokenStream, start: number, end: number): void {
    for (let i = firstDocEndingAfter(stream, start); i < stream.docs.length && stream.docs[i]!.start < end; i++) this.add(stream.docs[i]!, start, end);
  }
}
