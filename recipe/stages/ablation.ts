/**
 * What the built-in ablation kinds (`mixsearch`, `mergeablation`) share: the tiny proxy models they train
 * in child runs, and how those children are named. PURE.
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

/** How each proxy trains (a child run's pretrain `with`, less what the method sets). */
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
