import { describe, expect, it } from 'vitest';
import { splitIntoUnits } from '../../../activities/mergeablation/units.ts';
import type { Doc } from '../../../datasets/types.ts';

const docs: Doc[] = Array.from({ length: 40 }, (_, i) => ({ id: `d${i}`, text: 'x'.repeat(50 + ((i * 37) % 100)), domain: i % 2 ? 'news' : 'lore' }));

describe('units: N (a merge ablation splitting its data)', () => {
  it('splits deterministically into N units of about equal tokens, whatever the input order', () => {
    const units = splitIntoUnits(docs, 4);
    expect(splitIntoUnits([...docs].reverse(), 4)).toEqual(units);
    const tokens = new Map<string, number>();
    for (const d of units) tokens.set(d.domain!, (tokens.get(d.domain!) ?? 0) + d.text.length);
    expect([...tokens.keys()].sort()).toEqual(['unit-0', 'unit-1', 'unit-2', 'unit-3']);
    const total = docs.reduce((s, d) => s + d.text.length, 0);
    // Each unit is within one document of a quarter of the tokens.
    for (const t of tokens.values()) expect(Math.abs(t - total / 4)).toBeLessThanOrEqual(150);
    expect(units.find((d) => d.id === 'd1')!.meta).toEqual({ sourceDomain: 'news' });
  });

  it('refuses more units than documents', () => {
    expect(() => splitIntoUnits(docs.slice(0, 3), 4)).toThrow('3 documents cannot make 4 units');
  });
});
