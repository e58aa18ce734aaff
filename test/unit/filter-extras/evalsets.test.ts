import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../../datasets/artifact-store.ts';
import { loadBrown } from '../../../datasets/builtin/brown.ts';
import { type EvalItemMeta, loadBrownCloze } from '../../../datasets/builtin/evalsets.ts';
import { loadSource, SUPPORTED_SOURCES } from '../../../datasets/sources.ts';

const ctx = { store: new ArtifactStore(path.join(tmpdir(), 'braise-unused-store')), cwd: '/' };

describe('builtin:eval/brown-cloze', () => {
  const items = loadBrownCloze();
  const brown = new Map(loadBrown().map((d) => [d.id, d.text]));

  it('has about 100 items, each a Brown sentence split into prompt and last word', () => {
    expect(items.length).toBeGreaterThanOrEqual(95);
    expect(items.length).toBeLessThanOrEqual(100);
    expect(new Set(items.map((d) => d.id)).size).toBe(items.length);
    for (const item of items) {
      const { set, prompt, answer, source } = item.meta as unknown as EvalItemMeta;
      expect(set).toBe('brown-cloze');
      expect(item.text).toBe(`${prompt} ${answer}`);
      expect(answer).toMatch(/^[A-Za-z]{3,}$/);
      expect(prompt.split(/\s+/).length + 1).toBeGreaterThanOrEqual(13);
      expect(brown.get(source)).toContain(`${prompt} ${answer}.`);
    }
  });

  it('covers every Brown genre, and is the same on every load', () => {
    const genres = new Set(items.map((d) => (d.meta!.source as string).charAt('brown/c'.length)));
    expect(genres.size).toBe(15);
    expect(loadBrownCloze()).toEqual(items);
    expect(loadBrownCloze({ limit: 3 })).toEqual(items.slice(0, 3));
  });

  it('is registered as a builtin source', async () => {
    expect(SUPPORTED_SOURCES).toContain('builtin:eval/brown-cloze');
    expect(SUPPORTED_SOURCES).toContain('builtin:spam-assassin');
    expect(await loadSource({ source: 'builtin:eval/brown-cloze', limit: 2 }, ctx)).toEqual(items.slice(0, 2));
  });
});

describe('builtin:spam-assassin options', () => {
  it('rejects unknown groups and bad limits before reading anything', async () => {
    await expect(loadSource({ source: 'builtin:spam-assassin', groups: ['spam-1', 'spam-9'] }, ctx)).rejects.toThrow(/groups\[1\]: unknown group "spam-9": expected one of easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2/);
    await expect(loadSource({ source: 'builtin:spam-assassin', groups: 'spam-1' }, ctx)).rejects.toThrow(/groups must be a non-empty list/);
    await expect(loadSource({ source: 'builtin:spam-assassin', limit: 0 }, ctx)).rejects.toThrow(/limit must be a positive integer/);
  });
});
