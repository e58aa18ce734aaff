import { describe, expect, it } from 'vitest';
import { splitHoldout } from '../../../activities/pretrain/holdout.ts';
import { cacheKeyFor } from '../../../activities/control/cache-key.ts';
import { compileRecipe, parseRecipeText } from '../../../recipe/index.ts';
import type { StageInput } from '../../../activities/types.ts';
import { VALID } from '../recipe/fixtures.ts';

const docs = Array.from({ length: 200 }, (_, i) => ({ id: `d${i}`, text: 'x', domain: i % 2 ? 'news' : 'lore' }));

describe('held-out split', () => {
  it('is deterministic, near the asked fraction, and disjoint', () => {
    const a = splitHoldout(docs, 1, 0.1);
    const b = splitHoldout(docs, 1, 0.1);
    expect(a).toEqual(b);
    expect(a.heldout.length).toBeGreaterThan(8);
    expect(a.heldout.length).toBeLessThan(40);
    expect(a.train.length + a.heldout.length).toBe(200);
    const held = new Set(a.heldout.map((d) => d.id));
    expect(a.train.some((d) => held.has(d.id))).toBe(false);
    expect(splitHoldout(docs, 2, 0.1).heldout).not.toEqual(a.heldout);
  });

  it('holds out at least one document of every domain', () => {
    const few = [...docs.slice(0, 50), { id: 'rare-1', text: 'y', domain: 'rare' }, { id: 'rare-2', text: 'y', domain: 'rare' }];
    const { heldout, train } = splitHoldout(few, 1, 0.05);
    expect(heldout.some((d) => d.domain === 'rare')).toBe(true);
    expect(train.some((d) => d.domain === 'rare')).toBe(true);
  });
});

describe('cache keys', () => {
  const plan = compileRecipe(parseRecipeText(VALID));
  const node = plan.nodes.find((n) => n.id === 'base')!;
  const input = (id: string): StageInput => ({ node: 'clean', port: 'kept', kind: 'dataset', artifact: { id, kind: 'dataset', uri: '', bytes: 0, meta: {} } });

  it('depends on the input artifacts, not only on the settings', async () => {
    const k1 = await cacheKeyFor(node, [input('a'.repeat(64))]);
    expect(await cacheKeyFor(node, [input('a'.repeat(64))])).toBe(k1);
    expect(await cacheKeyFor(node, [input('b'.repeat(64))])).not.toBe(k1);
    expect(await cacheKeyFor({ ...node, fingerprint: 'other' }, [input('a'.repeat(64))])).not.toBe(k1);
  });
});
