/**
 * Ingest under hostile input: a gigabyte line inside a 1 MB gzip, a gzip bomb, too many documents.
 * Each fails fast with an error naming the file, the line where it applies and the limit, without
 * reading on and without growing the heap; and no error quotes the file's content.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readDatasetAll, shardPaths, writeDataset } from '../../../datasets/dataset.ts';
import { docToLine } from '../../../datasets/doc-json.ts';
import { iterateJsonl, readJsonl } from '../../../datasets/jsonl.ts';
import { DEFAULT_INGEST_LIMITS, IngestLimitError, ingestLimitsFromEnv } from '../../../datasets/limits.ts';
import { tempDir, tempStore } from './helpers.ts';

const MiB = 1024 * 1024;

/** A gzip file of `members` concatenated gzip members, each `block` compressed once: cheap to make, huge to expand. */
async function gzipBomb(file: string, block: Buffer, members: number): Promise<number> {
  const member = gzipSync(block, { level: 9 });
  const bytes = Buffer.concat(Array.from({ length: members }, () => member));
  await writeFile(file, bytes);
  return bytes.length;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!(err instanceof Error)) throw new Error('expected a failure');
  return err;
}

describe('ingest limits', () => {
  it('a 1 MB gzip holding one 1 GiB line fails at the line limit, without reading on', async () => {
    const file = path.join(await tempDir(), 'one-line.jsonl.gz');
    const size = await gzipBomb(file, Buffer.alloc(16 * MiB, 'a'), 64);
    expect(size).toBeLessThan(1.5 * MiB);
    const t0 = Date.now();
    const err = await failure(readJsonl(file, { displayPath: 'data/one-line.jsonl.gz' }));
    // Decompressing the whole gigabyte takes seconds here; stopping at 8 MiB takes milliseconds.
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(err).toBeInstanceOf(IngestLimitError);
    expect(err).toMatchObject({ limit: 'maxLineBytes' });
    expect(err.message).toBe('data/one-line.jsonl.gz:1: line longer than 8 MiB (BRAISE_INGEST_MAX_LINE_BYTES); stopped reading there');
  });

  it('a gzip bomb (2 MB expanding to 2 GiB) fails at the decompressed-bytes limit with a small, flat heap', async () => {
    const file = path.join(await tempDir(), 'bomb.jsonl.gz');
    // 1 MiB lines, each a valid one-word document padded with JSON whitespace.
    const line = `{"text":"boom"${' '.repeat(MiB - 17)}}\n`;
    const size = await gzipBomb(file, Buffer.from(line.repeat(16)), 128);
    expect(size).toBeLessThan(4 * MiB);

    const limits = { maxBytes: 128 * MiB };
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let docs = 0;
    const err = await failure(
      (async () => {
        for await (const doc of iterateJsonl(file, { displayPath: 'data/bomb.jsonl.gz', limits })) {
          if (doc.text === 'boom') docs += 1;
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        }
      })(),
    );
    expect(err).toBeInstanceOf(IngestLimitError);
    expect(err).toMatchObject({ limit: 'maxBytes' });
    expect(err.message).toMatch(/^data\/bomb\.jsonl\.gz: more than 128 MiB of data after decompression \(BRAISE_INGEST_MAX_BYTES\); stopped reading at line \d+$/);
    expect(docs).toBeGreaterThan(120);
    // Streaming: the heap holds a line or two, not the 128 MiB read (let alone the 2 GiB).
    expect(peak - before).toBeLessThan(64 * MiB);
  });

  it('counts the bytes of plain files too, and the documents of any file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'five.jsonl');
    await writeFile(file, Array.from({ length: 5 }, (_, i) => JSON.stringify({ text: `doc ${i}` })).join('\n'));
    const bytes = await failure(readJsonl(file, { displayPath: 'five.jsonl', limits: { maxBytes: 20 } }));
    expect(bytes.message).toBe('five.jsonl: more than 20 B of data (BRAISE_INGEST_MAX_BYTES); stopped reading at line 2');
    const docs = await failure(readJsonl(file, { displayPath: 'five.jsonl', limits: { maxDocs: 3 } }));
    expect(docs).toMatchObject({ limit: 'maxDocs', message: 'five.jsonl:4: more than 3 documents (BRAISE_INGEST_MAX_DOCS); stopped reading there' });
    // The recipe's own `limit` stops first and is no error.
    expect(await readJsonl(file, { limit: 3, limits: { maxDocs: 3 } })).toHaveLength(3);
    expect(await readJsonl(file, { limits: { maxDocs: 5, maxLineBytes: 16 } })).toHaveLength(5);
    const long = await failure(readJsonl(file, { displayPath: 'five.jsonl', limits: { maxLineBytes: 15 } }));
    expect(long.message).toBe('five.jsonl:1: line longer than 15 B (BRAISE_INGEST_MAX_LINE_BYTES); stopped reading there');
  });

  it('reads its limits from BRAISE_INGEST_MAX_*, naming a bad value', () => {
    expect(ingestLimitsFromEnv({})).toEqual(DEFAULT_INGEST_LIMITS);
    expect(DEFAULT_INGEST_LIMITS).toEqual({ maxLineBytes: 8 * MiB, maxDocs: 1_000_000, maxBytes: 1024 * MiB });
    expect(ingestLimitsFromEnv({ BRAISE_INGEST_MAX_BYTES: '2GiB', BRAISE_INGEST_MAX_LINE_BYTES: '512k', BRAISE_INGEST_MAX_DOCS: '10' })).toEqual({
      maxBytes: 2048 * MiB,
      maxLineBytes: 512 * 1024,
      maxDocs: 10,
    });
    expect(ingestLimitsFromEnv({ BRAISE_INGEST_MAX_LINE_BYTES: '8 MiB' }).maxLineBytes).toBe(8 * MiB);
    for (const bad of ['0', '-1', '1.5G', 'lots', '3 parsecs']) {
      expect(() => ingestLimitsFromEnv({ BRAISE_INGEST_MAX_BYTES: bad }), bad).toThrow(`BRAISE_INGEST_MAX_BYTES: expected a size in bytes such as 8MiB, 1GiB or 1048576 (whole numbers), got "${bad}"`);
    }
    expect(() => ingestLimitsFromEnv({ BRAISE_INGEST_MAX_DOCS: '1k' })).toThrow('BRAISE_INGEST_MAX_DOCS: expected a positive integer, got "1k"');
  });
});

describe('ingest errors never quote the file', () => {
  it.each([
    ['a password file', 'root:x:0:0:root:/root:/bin/bash', 'root:x', /^data\/f\.jsonl:1: invalid JSON \(unexpected character; expected one JSON object per line\)$/],
    ['an environment block', 'AWS_SECRET_ACCESS_KEY=abc123\0HOME=/home/u', 'abc123', /^data\/f\.jsonl:1: invalid JSON/],
    ['broken JSON', '{"secret":"sk-live-123" "b":2}', 'sk-live-123', /^data\/f\.jsonl:1: invalid JSON: expected ',' or '}' after property value at character 25$/],
    ['a truncated object', '{"text":"private words', 'private', /^data\/f\.jsonl:1: invalid JSON: unterminated string at character 23$/],
    ['a wrong field type', '{"text":"private words","domain":{"k":"v"}}', 'private', /^data\/f\.jsonl:1: "domain" must be a string$/],
    ['a duplicate id', '{"id":"user-4711","text":"a"}\n{"id":"user-4711","text":"b"}', '4711', /^data\/f\.jsonl:2: duplicate id \(the same as on line 1\)$/],
  ])('%s', async (_what, content, secret, message) => {
    const file = path.join(await tempDir(), 'f.jsonl');
    await writeFile(file, content);
    const err = await failure(readJsonl(file, { displayPath: 'data/f.jsonl' }));
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(secret);
  });
});

describe('writeDataset streams its shards', () => {
  it('writes exactly the canonical lines, documents larger than its write chunk included', async () => {
    const store = await tempStore();
    const docs = Array.from({ length: 7 }, (_, i) => ({ id: `d${i}`, text: `${i} ${'é'.repeat(i % 2 === 0 ? 700_000 : 10)}`, domain: i % 3 === 0 ? 'x' : undefined }))
      .map(({ domain, ...d }) => (domain === undefined ? d : { ...d, domain }));
    const ref = await writeDataset(store, docs, { shardDocs: 3 });
    const files = await shardPaths(store, ref.id);
    expect(files).toHaveLength(3);
    const expected = [docs.slice(0, 3), docs.slice(3, 6), docs.slice(6)].map((part) => part.map((d) => `${docToLine(d)}\n`).join(''));
    expect(await Promise.all(files.map((f) => readFile(f, 'utf8')))).toEqual(expected);
    expect(await readDatasetAll(store, ref.id)).toEqual(docs);
    // Same documents, same id: the content address does not depend on how the bytes were written.
    expect((await writeDataset(store, docs, { shardDocs: 3 })).id).toBe(ref.id);
  });
});
