import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ArtifactNotFoundError, ArtifactStore } from '../../../datasets/artifact-store.ts';
import { tempStore } from './helpers.ts';

/** Stages a directory holding `files` (relative path → content). */
async function staged(store: ArtifactStore, files: Record<string, string | Buffer>): Promise<string> {
  const dir = await store.stage();
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  return dir;
}

async function stagingEntries(store: ArtifactStore): Promise<string[]> {
  return readdir(path.join(store.root, '.staging'));
}

describe('ArtifactStore', () => {
  it('stages private directories under root/.staging', async () => {
    const store = await tempStore();
    const a = await store.stage();
    const b = await store.stage();
    expect(a).not.toBe(b);
    expect(path.dirname(a)).toBe(path.join(store.root, '.staging'));
    expect((await stat(a)).isDirectory()).toBe(true);
  });

  it('commits a directory under its content hash and describes it in root/<id>.json', async () => {
    const store = await tempStore();
    const dir = await staged(store, { 'a.txt': 'hello', 'sub/b.bin': Buffer.from([0, 1, 2]) });
    const ref = await store.commit(dir, 'model', { note: 'x' });

    expect(ref.id).toMatch(/^[0-9a-f]{64}$/);
    expect(ref).toMatchObject({ kind: 'model', bytes: 8, meta: { note: 'x' } });
    expect(fileURLToPath(ref.uri)).toBe(store.dir(ref.id));
    expect(await readFile(path.join(store.dir(ref.id), 'sub/b.bin'))).toEqual(Buffer.from([0, 1, 2]));
    expect(JSON.parse(await readFile(`${store.dir(ref.id)}.json`, 'utf8'))).toEqual(ref);
    await expect(stat(dir)).rejects.toThrow(/ENOENT/);
    expect(await store.get(ref.id)).toEqual(ref);
    expect(await store.has(ref.id)).toBe(true);
  });

  it('hashes sorted relative paths, sizes and bytes (streamed), prefixed by the kind', async () => {
    const store = await tempStore();
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7); // several stream chunks
    const ref = await store.commit(await staged(store, { 'z.bin': big, 'a/b.txt': 'bee' }), 'model');
    const expected = createHash('sha256')
      .update('braise.artifact/v1\0model\0')
      .update('a/b.txt\0' + '3\0')
      .update('bee')
      .update(`z.bin\0${big.length}\0`)
      .update(big)
      .digest('hex');
    expect(ref.id).toBe(expected);
    expect(ref.bytes).toBe(big.length + 3);
  });

  it('gives the same content the same id, keeps one directory and removes the second staging dir', async () => {
    const store = await tempStore();
    const first = await store.commit(await staged(store, { 'x.txt': 'same' }), 'report', { run: 1 });
    const secondDir = await staged(store, { 'x.txt': 'same' });
    const second = await store.commit(secondDir, 'report', { run: 2 });

    expect(second.id).toBe(first.id);
    // Immutable: the first committer's ref stands.
    expect(second.meta).toEqual({ run: 1 });
    await expect(stat(secondDir)).rejects.toThrow(/ENOENT/);
    expect(await stagingEntries(store)).toEqual([]);
    const entries = (await readdir(store.root)).filter((e) => e !== '.staging');
    expect(entries.sort()).toEqual([first.id, `${first.id}.json`].sort());
  });

  it('leaves meta out of the hash, but not file names, contents or kind', async () => {
    const store = await tempStore();
    const base = await store.commit(await staged(store, { 'f.txt': 'abc' }), 'dataset', { a: 1 });
    const otherMeta = await store.commit(await staged(store, { 'f.txt': 'abc' }), 'dataset', { a: 2 });
    const otherName = await store.commit(await staged(store, { 'g.txt': 'abc' }), 'dataset');
    const otherByte = await store.commit(await staged(store, { 'f.txt': 'abd' }), 'dataset');
    const otherKind = await store.commit(await staged(store, { 'f.txt': 'abc' }), 'report');
    expect(otherMeta.id).toBe(base.id);
    expect(new Set([base.id, otherName.id, otherByte.id, otherKind.id]).size).toBe(4);
  });

  it('lets concurrent commits of identical content all succeed with one id', async () => {
    const store = await tempStore();
    const dirs = await Promise.all(Array.from({ length: 6 }, () => staged(store, { 'w.bin': Buffer.alloc(200_000, 3), 'c.json': '{}' })));
    const refs = await Promise.all(dirs.map((d, i) => store.commit(d, 'model', { i })));
    expect(new Set(refs.map((r) => r.id)).size).toBe(1);
    expect(new Set(refs.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await stagingEntries(store)).toEqual([]);
    expect(await readFile(path.join(store.dir(refs[0]!.id), 'c.json'), 'utf8')).toBe('{}');
  });

  it('throws ArtifactNotFoundError naming a missing id', async () => {
    const store = await tempStore();
    const id = 'ab'.repeat(32);
    await expect(store.get(id)).rejects.toThrow(ArtifactNotFoundError);
    await expect(store.get(id)).rejects.toThrow(id);
    await expect(store.readJson(id)).rejects.toThrow(id);
    expect(await store.has(id)).toBe(false);
    await expect(store.get('../etc')).rejects.toThrow('../etc');
    expect(() => store.dir('../etc')).toThrow(/invalid artifact id/);
  });

  it('round-trips JSON through putJson / readJson and refuses paths outside the artifact', async () => {
    const store = await tempStore();
    const ref = await store.putJson('report', { loss: 1.5, tasks: ['a'] }, { stage: 'eval' });
    expect(ref.kind).toBe('report');
    expect(ref.meta).toEqual({ stage: 'eval' });
    expect(await store.readJson(ref.id)).toEqual({ loss: 1.5, tasks: ['a'] });
    expect(await store.readJson(ref.id, 'report.json')).toEqual({ loss: 1.5, tasks: ['a'] });
    await expect(store.readJson(ref.id, 'nope.json')).rejects.toThrow(/no file "nope.json"/);
    await expect(store.readJson(ref.id, '../x.json')).rejects.toThrow(/not a path inside/);
    expect((await store.putJson('report', { loss: 1.5, tasks: ['a'] })).id).toBe(ref.id);
  });

  it('cleans only staging directories older than the given age', async () => {
    const store = await tempStore();
    const old = await store.stage();
    await writeFile(path.join(old, 'partial'), 'x');
    const fresh = await store.stage();
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, hourAgo, hourAgo);

    expect(await store.cleanStaging(60_000)).toBe(1);
    expect(await stagingEntries(store)).toEqual([path.basename(fresh)]);
    expect(await new ArtifactStore(path.join(store.root, 'empty')).cleanStaging(0)).toBe(0);
  });

  it('derives uris from its own root, so a moved store still resolves', async () => {
    const store = await tempStore();
    const ref = await store.putJson('report', { a: 1 });
    const movedRoot = `${store.root}-moved`;
    await cp(store.root, movedRoot, { recursive: true });
    const moved = new ArtifactStore(movedRoot);
    const got = await moved.get(ref.id);
    expect(fileURLToPath(got.uri)).toBe(path.join(movedRoot, ref.id));
    expect(await moved.readJson(ref.id)).toEqual({ a: 1 });
  });
});
