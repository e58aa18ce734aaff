import path from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeDataset } from '../../../datasets/dataset.ts';
import { DatasetInputError, loadSource } from '../../../datasets/sources.ts';
import { tempDir, tempStore } from './helpers.ts';

describe('loadSource', () => {
  it('loads builtin:brown with genres and limit', async () => {
    const store = await tempStore();
    const docs = await loadSource({ source: 'builtin:brown', genres: ['a', 'r'] }, { store, cwd: '/' });
    expect(docs).toHaveLength(44 + 9);
    expect((await loadSource({ source: 'builtin:brown', limit: 2 }, { store, cwd: '/' })).map((d) => d.id)).toEqual(['brown/ca01', 'brown/ca02']);
  });

  it('resolves file: paths against cwd (plain and gz) and absolute', async () => {
    const store = await tempStore();
    const cwd = await tempDir();
    await mkdir(path.join(cwd, 'data'));
    await writeFile(path.join(cwd, 'data/a.jsonl'), '{"text":"one"}\n{"text":"two"}\n');
    await writeFile(path.join(cwd, 'data/b.jsonl.gz'), gzipSync('{"text":"three"}\n'));
    expect((await loadSource({ source: 'file:data/a.jsonl' }, { store, cwd })).map((d) => d.text)).toEqual(['one', 'two']);
    expect((await loadSource({ source: 'file:data/a.jsonl', limit: 1 }, { store, cwd })).map((d) => d.id)).toEqual(['a.jsonl:1']);
    expect((await loadSource({ source: `file:${path.join(cwd, 'data/b.jsonl.gz')}` }, { store, cwd: '/' })).map((d) => d.text)).toEqual(['three']);
    expect((await loadSource({ source: `file://${path.join(cwd, 'data/b.jsonl.gz')}` }, { store, cwd: '/' })).map((d) => d.text)).toEqual(['three']);

    await writeFile(path.join(cwd, 'data/bad.jsonl'), '{"text":"ok"}\n\n{"id":"x"}\n');
    await expect(loadSource({ source: 'file:data/bad.jsonl' }, { store, cwd })).rejects.toThrow('data/bad.jsonl:3: expected a string "text" field');
    await expect(loadSource({ source: 'file:data/none.jsonl' }, { store, cwd })).rejects.toThrow(/data\/none\.jsonl: file not found/);
  });

  it('reads artifact:<id> from the store', async () => {
    const store = await tempStore();
    const docs = [{ id: 'a', text: 'alpha', domain: 'x' }, { id: 'b', text: 'beta' }];
    const ref = await writeDataset(store, docs);
    expect(await loadSource({ source: `artifact:${ref.id}` }, { store, cwd: '/' })).toEqual(docs);
    expect(await loadSource({ source: `artifact:${ref.id}`, limit: 1 }, { store, cwd: '/' })).toEqual(docs.slice(0, 1));
    const missing = 'f'.repeat(64);
    await expect(loadSource({ source: `artifact:${missing}` }, { store, cwd: '/' })).rejects.toThrow(`artifact:${missing}: no such artifact`);
    const report = await store.putJson('report', {});
    await expect(loadSource({ source: `artifact:${report.id}` }, { store, cwd: '/' })).rejects.toThrow(DatasetInputError);
    await expect(loadSource({ source: `artifact:${report.id}` }, { store, cwd: '/' })).rejects.toThrow('is a report artifact, not a dataset');
  });

  it.each([
    ['s3://bucket/x.jsonl', /unsupported dataset source "s3:\/\/bucket\/x.jsonl": expected one of builtin:brown, builtin:spam-assassin, builtin:tasks, builtin:eval\/brown-cloze, file:<path>.jsonl\[.gz\], artifact:<sha256>/],
    ['brown', /unsupported dataset source "brown"/],
    ['constructor:x', /unsupported dataset source/],
    ['builtin:wiki', /unknown builtin dataset "builtin:wiki": available are builtin:brown, builtin:spam-assassin, builtin:tasks, builtin:eval\/brown-cloze/],
    ['file:data.csv', /file:data.csv: expected a .jsonl or .jsonl.gz file/],
    ['artifact:abc', /artifact:abc: expected artifact:<sha256>/],
  ])('rejects %s with a DatasetInputError naming it', async (source, message) => {
    const store = await tempStore();
    const err = await loadSource({ source }, { store, cwd: '/' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetInputError);
    expect((err as Error).message).toMatch(message);
  });

  it('rejects genres on sources without genres, and bad limits', async () => {
    const store = await tempStore();
    await expect(loadSource({ source: 'file:x.jsonl', genres: ['a'] }, { store, cwd: '/' })).rejects.toThrow('file:x.jsonl: "genres" is only supported by builtin:brown');
    await expect(loadSource({ source: 'builtin:brown', limit: 0 }, { store, cwd: '/' })).rejects.toThrow(/limit must be a positive integer/);
  });
});
