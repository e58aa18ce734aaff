/**
 * The order post-training stages walk their rows in: epoch by epoch, each epoch a permutation seeded by
 * (seed, epoch), so the row of a step depends only on (seed, step) and a resumed run trains on what an
 * uninterrupted one would.
 */
import { hashSeed, mulberry32 } from '../random.ts';

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, seed: number): number[] {
  const rng = mulberry32(seed);
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The row index of the `k`-th example drawn (0-based) from `n` rows, epoch by epoch; keeps one epoch's permutation. */
export function epochOrder(n: number, seed: number): (k: number) => number {
  let epoch = -1;
  let order: number[] = [];
  return (k) => {
    const e = Math.floor(k / n);
    if (e !== epoch) {
      epoch = e;
      order = permutation(n, hashSeed(seed, e));
    }
    return order[k % n]!;
  };
}
