import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { PermanentError } from '../../../errors/permanent.ts';
import { batchAt, buildTokenStream, consumedDocs, readDocs } from '../../../ml/data.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'braise-ml-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function shard(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
const tok = byteTokenizer();

describe('readDocs', () => {
  it('reads JSONL and gzipped JSONL shards in order, skipping blank lines', async () => {
    const a = shard('a.jsonl', ['{"id":"a1","text":"hello","domain":"web"}', '', '{"id":"a2","text":"world"}']);
    const b = path.join(dir, 'b.jsonl.gz');
    writeFileSync(b, gzipSync('{"id":"b1","text":"gz"}\n'));
    const docs = await readDocs([a, b]);
    expect(docs.map((d) => [d.id, d.text, d.domain, d.line])).toEqual([
      ['a1', 'hello', 'web', 1],
      ['a2', 'world', undefined, 3],
      ['b1', 'gz', undefined, 1],
    ]);
  });

  it('names file, line and field of bad input', async () => {
    const bad = shard('bad.jsonl', ['{"id":"ok","text":"x"}', '{"id":"", "text":"x"}']);
    await expect(readDocs([bad])).rejects.toThrow(`${bad}:2: id: expected a non-empty string`);
    const notJson = shard('nj.jsonl', ['{"id":"ok","text":"x"', '']);
    await expect(readDocs([notJson])).rejects.toThrow(`${notJson}:1: invalid JSON`);
    const noText = shard('nt.jsonl', ['{"id":"x","text":5}']);
    await expect(readDocs([noText])).rejects.toThrow(`${noText}:1: text: expected a string`);
    await expect(readDocs([path.join(dir, 'missing.jsonl')])).rejects.toBeInstanceOf(PermanentError);
  });
});

describe('token stream and batches', () => {
  const docs = Array.from({ length: 30 }, (_, i) => ({
    id: `d${i}`,
    text: `document number ${i} `.repeat(1 + (i % 4)),
    shard: 's.jsonl',
    line: i + 1,
  }));
  const stream = buildTokenStream(docs, tok);

  it('concatenates documents, each followed by EOS', () => {
    const first = stream.docs[0]!;
    expect(tok.decode(stream.tokens.subarray(first.start, first.end - 1))).toBe(docs[0]!.text);
    for (const d of stream.docs) expect(stream.tokens[d.end - 1]).toBe(tok.eosId);
    expect(stream.docs.at(-1)!.end).toBe(stream.tokens.length);
  });

  it('serves windows whose targets are the inputs shifted by one', () => {
    const b = batchAt(stream, 5, 0, 4, 16);
    expect(b.inputs.length).toBe(64);
    for (let r = 0; r < 4; r++) {
      const [start, end] = b.windows[r]!;
      expect(end - start).toBe(17);
      expect(Array.from(b.inputs.subarray(r * 16, r * 16 + 16))).toEqual(Array.from(stream.tokens.subarray(start, start + 16)));
      expect(Array.from(b.targets.subarray(r * 16, r * 16 + 16))).toEqual(Array.from(stream.tokens.subarray(start + 1, end)));
    }
  });

  it('is a pure function of (seed, step)', () => {
    const later = batchAt(stream, 5, 7, 4, 16);
    batchAt(stream, 5, 3, 4, 16); // other calls in between change nothing
    expect(batchAt(stream, 5, 7, 4, 16)).toEqual(later);
    expect(batchAt(stream, 5, 8, 4, 16).windows).not.toEqual(later.windows);
    expect(batchAt(stream, 6, 7, 4, 16).windows).not.toEqual(later.windows);
  });

  it('reports the documents each batch consumed', () => {
    const b = batchAt(stream, 1, 2, 3, 16);
    const expected = new Set<string>();
    for (const [start, end] of b.windows) {
      for (const d of stream.docs) if (d.start < end && d.end > start) expected.add(d.id);
    }
    expect(new Set(b.docIds)).toEqual(expected);
    const consumed = consumedDocs(stream, 1, 0, 3, 3, 16);
    const union = new Set([0, 1, 2].flatMap((s) => batchAt(stream, 1, s, 3, 16).docIds));
    expect(new Set(consumed.map((c) => c.id))).toEqual(union);
    expect(consumed[0]).toMatchObject({ shard: 's.jsonl' });
  });

  it('rejects a corpus shorter than one window', () => {
    const tiny = buildTokenStream([{ id: 'x', text: 'abc', shard: 's', line: 1 }], tok);
    expect(() => batchAt(tiny, 1, 0, 2, 16)).toThrow(/fewer than context \+ 1 = 17/);
  });
});
