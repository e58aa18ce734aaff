import { describe, expect, it } from 'vitest';
import { countSubsetsUpTo, pickEvenly, subsetsUpTo } from '../../../recipe/stages/ablation.ts';

describe('merge-ablation candidates', () => {
  it('enumerates the subsets of 2 to maxSize units, by size then lexicographically', () => {
    expect(subsetsUpTo(3, 3)).toEqual([[0, 1], [0, 2], [1, 2], [0, 1, 2]]);
    expect(subsetsUpTo(4, 2)).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
    expect(subsetsUpTo(2, 5)).toEqual([[0, 1]]);
    expect(subsetsUpTo(1, 3)).toEqual([]);
    for (const [n, k] of [[3, 3], [5, 3], [6, 6], [10, 2]] as const) expect(countSubsetsUpTo(n, k)).toBe(subsetsUpTo(n, k).length);
  });

  it('picks r items spread evenly, the ends included', () => {
    expect(pickEvenly([0, 1, 2, 3, 4], 3)).toEqual([0, 2, 4]);
    expect(pickEvenly(['a', 'b', 'c', 'd'], 2)).toEqual(['a', 'd']);
    expect(pickEvenly([1, 2], 5)).toEqual([1, 2]);
    expect(pickEvenly([1, 2, 3], 1)).toEqual([1]);
  });
});
