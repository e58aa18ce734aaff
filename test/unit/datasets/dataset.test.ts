import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataset, readDatasetAll, readManifest, shardPaths, UNKNOWN_DOMAIN, writeDataset } from '../../../datasets/dataset.ts';
import type { Doc } from '../../../datasets/types.ts';
import { tempStore } from './helpers.ts';

function makeDocs(n: number): Doc[] {
  const domains = ['news', 'fiction', 'héllo'];
  return Array.from({ length: n }, (_, i) => {
    const doc: Doc = { id: `d${i}`, text: `document ${i} — ünïcode ${'x'.repeat(i)}`, license: 'cc-by' };
    if (i % 4 !== 3) doc.domain = domains[i % 3];
    if (i % 2 === 0) doc.meta = { i, tags: ['t'] };
    return doc;
  });
}

async function* slowly(docs: Doc[]): AsyncGenerator<Doc> {
  for (const doc of docs) {
    await Promise.resolve();
    yield doc;
  }
}

describe('writeDataset / readDataset', () => {
  it('round-trips documents across shards split at shardDocs', async () => {
    const store = await tempStore();
    const docs = makeDocs(25);
    const ref = await writeDataset(store, docs, { shardDocs: 10 });

    expect(ref.kind).toBe('dataset');
    expect(await readDatasetAll(store, ref.id)).toEqual(docs);
    const paths = await shardPaths(store, ref.id);
    expect(paths.map((p) => path.basename(p))).toEqual(['shard-00000.jsonl', 'shard-00001.jsonl', 'shard-00002.jsonl']);
    const lineCounts = await Promise.all(paths.map(async (p) => (await readFile(p, 'utf8')).trim().split('\n').length));
    expect(lineCounts).toEqual([10, 10, 5]);
    expect(paths.every((p) => path.isAbsolute(p) && p.startsWith(store.dir(ref.id)))).toBe(true);

    const streamed: string[] = [];
    for await (const doc of readDataset(store, ref.id)) streamed.push(doc.id);
    expect(streamed).toEqual(docs.map((d) => d.id));
  });

  it('accounts docs and UTF-8 text bytes per shard and per domain in the manifest and meta', async () => {
    const store = await tempStore();
    const docs = makeDocs(13);
    const ref = await writeDataset(store, slowly(docs), { shardDocs: 5, meta: { source: 'test' }, manifest: { origin: 'unit' } });
    const manifest = await readManifest(store, ref.id);

    const utf8 = (d: Doc): number => Buffer.byteLength(d.text, 'utf8');
    const expectedDomains: Record<string, { docs: number; bytes: number }> = {};
    for (const d of docs) {
      const key = d.domain ?? UNKNOWN_DOMAIN;
      expectedDomains[key] ??= { docs: 0, bytes: 0 };
      expectedDomains[key].docs += 1;
      expectedDomains[key].bytes += utf8(d);
    }
    const total = docs.reduce((sum, d) => sum + utf8(d), 0);
    expect(total).toBeGreaterThan(docs.reduce((sum, d) => sum + d.text.length, 0)); // non-ASCII counted in bytes
    expect(manifest).toMatchObject({ format: 'braise.dataset/v1', docs: 13, bytes: total, domains: expectedDomains, origin: 'unit' });
    expect(manifest.shards.map((s) => s.docs)).toEqual([5, 5, 3]);
    expect(manifest.shards.reduce((sum, s) => sum + s.bytes, 0)).toBe(total);
    expect(manifest.shards[2]?.bytes).toBe(docs.slice(10).reduce((sum, d) => sum + utf8(d), 0));
    expect(ref.meta).toEqual({ source: 'test', docs: 13, bytes: total, domains: Object.keys(expectedDomains).sort() });
  });

  it('gives the same docs in the same order the same id, whatever meta or key order', async () => {
    const store = await tempStore();
    const docs = makeDocs(7);
    const a = await writeDataset(store, docs, { meta: { run: 'a' } });
    const reordered = docs.map((d) => ({ meta: d.meta === undefined ? undefined : { tags: d.meta.tags, i: d.meta.i }, license: d.license, text: d.text, domain: d.domain, id: d.id }));
    const b = await writeDataset(store, slowly(reordered.map((d) => JSON.parse(JSON.stringify(d)) as Doc)), { meta: { run: 'b' } });
    const swapped = await writeDataset(store, [docs[1]!, docs[0]!, ...docs.slice(2)]);
    const edited = await writeDataset(store, [{ ...docs[0]!, text: `${docs[0]!.text}!` }, ...docs.slice(1)]);

    expect(b.id).toBe(a.id);
    expect(b.meta.run).toBe('a');
    expect(swapped.id).not.toBe(a.id);
    expect(edited.id).not.toBe(a.id);
  });

  it('writes an empty dataset and rejects invalid documents and options', async () => {
    const store = await tempStore();
    const empty = await writeDataset(store, []);
    expect(await readManifest(store, empty.id)).toMatchObject({ docs: 0, bytes: 0, shards: [], domains: {} });
    expect(await readDatasetAll(store, empty.id)).toEqual([]);

    await expect(writeDataset(store, [{ id: 'ok', text: 'a' }, { id: '', text: 'b' }])).rejects.toThrow(/document #2: .*"id"/);
    await expect(writeDataset(store, [{ id: 'a', text: 'a' }], { shardDocs: 0 })).rejects.toThrow(/shardDocs/);
    await expect(writeDataset(store, [], { manifest: { docs: 3 } })).rejects.toThrow(/"docs"/);
  });

  it('refuses to read a non-dataset artifact as a dataset', async () => {
    const store = await tempStore();
    const report = await store.putJson('report', { x: 1 });
    await expect(readManifest(store, report.id)).rejects.toThrow(`artifact ${report.id} is a report, not a dataset`);
  });
});
