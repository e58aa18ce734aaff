/**
 * What the built-in ablation kinds (`mixsearch`, `mergeablation`) share: the tiny proxy models they train
 * in child runs, how those children are named, and the candidate sets of units merge ablation scores. PURE.
 */
import { z } from 'zod';
import { lr, posInt } from './common.ts';

/** The model of a child run's proxies (its recipe's `model:` block): tiny by default. */
export const proxyModel = z
  .object({
    layers: posInt.max(48).default(1),
    dModel: posInt.max(4096).default(32),
    heads: posInt.max(64).default(2),
    context: posInt.max(4096).default(32),
  })
  .strict()
  .refine((m) => m.dModel % m.heads === 0, { message: 'dModel must be divisible by heads', path: ['heads'] });

/** How a child run's pretrain trains (mixsearch's proxies, mergeablation's base): its `with`, less what the method sets. */
export const proxyTraining = z
  .object({
    steps: posInt.max(1_000_000).default(20),
    batchSize: posInt.max(4096).default(8),
    lr: lr.default(1e-2),
    holdout: z.number().min(0).max(0.5).default(0.1),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  })
  .strict();

/**
 * A child run's recipe name, `<recipe>-<stage>-<suffix>`, a valid identifier (≤ 63 characters: a long
 * parent name is cut, the suffix always kept).
 */
export function childRecipeName(recipe: string, stage: string, suffix: string): string {
  const full = `${recipe}-${stage}-${suffix}`;
  if (full.length <= 63) return full;
  return `${full.slice(0, 62 - suffix.length).replace(/[-_]+$/, '')}-${suffix}`;
}

// Candidate mixtures of data units for merge-based ablation (Na et al. 2024): sets of unit indices.

/** Every subset of {0, …, n−1} with between `minSize` and `maxSize` members, by size, then lexicographically. */
export function subsetsUpTo(n: number, maxSize: number, minSize = 2): number[][] {
  const out: number[][] = [];
  const walk = (size: number, start: number, acc: number[]): void => {
    if (acc.length === size) {
      out.push([...acc]);
      return;
    }
    for (let i = start; i < n; i++) {
      acc.push(i);
      walk(size, i + 1, acc);
      acc.pop();
    }
  };
  for (let size = Math.max(minSize, 1); size <= Math.min(maxSize, n); size++) walk(size, 0, []);
  return out;
}

/** The number of subsets {@link subsetsUpTo} lists, without listing them. */
export function countSubsetsUpTo(n: number, maxSize: number, minSize = 2): number {
  let total = 0;
  let choose = 1; // C(n, 0)
  for (let k = 1; k <= Math.min(maxSize, n); k++) {
    choose = (choose * (n - k + 1)) / k;
    if (k >= minSize) total += choose;
  }
  return Math.round(total);
}

/** `r` items spread evenly over `items` (the first and the last among them when r ≥ 2), in order. */
export function pickEvenly<T>(items: readonly T[], r: number): T[] {
  if (r >= items.length) return [...items];
  if (r <= 0) return [];
  if (r === 1) return [items[0]!];
  const picked = new Set<number>();
  for (let j = 0; j < r; j++) picked.add(Math.round((j * (items.length - 1)) / (r - 1)));
  return [...picked].sort((a, b) => a - b).map((i) => items[i]!);
}
