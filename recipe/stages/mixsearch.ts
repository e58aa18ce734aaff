/**
 * `mixsearch`: RegMix's mixture search (Liu et al. 2024; ../shared METHODS.md "Mixture search"). It draws
 * `proxies` domain mixtures around the token prior of its input data, trains one tiny proxy per mixture as a
 * child run (a pretrain with that fixed mixture, then bits per byte on the `target` data), fits a ridge
 * regression from the weights to the target loss on all but `heldOut` proxies, reports Spearman's ρ of
 * predicted vs held-out losses, refits on every proxy, and outputs the mean of the `topK` of `candidates`
 * Dirichlet(p) samples by predicted loss (activities/mixsearch/, ml/ablation/regmix.ts). Ports: `mixed` (the
 * input documents with that mixture in their manifest: a `pretrain` consuming it trains on it), `report`. PURE.
 */
import { z } from 'zod';
import { posInt, refSchema } from './common.ts';
import { proxyModel, proxyTraining } from './ablation.ts';
import type { StageSpec, WithIssue } from './spec.ts';

export const mixsearchWith = z
  .object({
    /** The held-out data whose loss the mixture should minimize (a recipe dataset or a stage's dataset output). */
    target: refSchema,
    /** K: proxy models trained, one child run each. */
    proxies: posInt.max(256).default(8),
    /** Proxies left out of the first fit, to measure the rank correlation on. */
    heldOut: posInt.default(2),
    /** Mixtures averaged into the answer (RegMix: 128). */
    topK: posInt.max(1_000_000).default(128),
    /** Dirichlet(p) samples scored by the regression. */
    candidates: posInt.max(1_000_000).default(10_000),
    /** The ridge penalty λ on the regression's coefficients. */
    ridge: z.number().min(0).default(1e-3),
    /** Seed of the mixtures drawn (default: the recipe's). */
    seed: z.number().int().min(0).optional(),
    /** Highest weight a domain may get, as a multiple of its token share (RegMix: 15). */
    maxUsage: z.number().positive().default(15),
    /** The prior's temperature: p ∝ share^temperature (RegMix: 0.5). */
    temperature: z.number().positive().max(1).default(0.5),
    /** Caps the target documents scored per domain (evaluate's `maxDocsPerDomain`; default all). */
    evalDocsPerDomain: posInt.optional(),
    model: proxyModel.prefault({}),
    train: proxyTraining.prefault({}),
  })
  .strict();

export type MixsearchWith = z.output<typeof mixsearchWith>;

function checkMixsearch(w: MixsearchWith): WithIssue[] {
  const issues: WithIssue[] = [];
  if (w.proxies < w.heldOut + 2) {
    issues.push({ path: 'proxies', message: `${w.proxies} proxies leave fewer than 2 to fit on after heldOut ${w.heldOut}: give at least ${w.heldOut + 2}` });
  }
  if (w.heldOut < 2) issues.push({ path: 'heldOut', message: 'a rank correlation needs at least 2 held-out proxies' });
  if (w.topK > w.candidates) issues.push({ path: 'topK', message: `topK ${w.topK} is more than the ${w.candidates} candidates scored` });
  return issues;
}

export const mixsearchStage = {
  kind: 'mixsearch',
  summary: 'RegMix: tiny proxies on Dirichlet mixtures (child runs), a regression to the target loss, the predicted best mixture',
  with: mixsearchWith,
  settings: mixsearchWith,
  inputs: { accepts: ['dataset'], requires: 'dataset' },
  roles: { target: 'dataset' },
  refs: (w: MixsearchWith) => [{ ref: w.target, role: 'target', path: 'target' }],
  ports: { mixed: 'dataset', report: 'report' },
  // It trains nothing itself: it waits on its child runs, whose stages take the cpu and gpu queues' slots.
  queue: 'braise-cpu',
  long: true,
  available: true,
  implVersion: '1',
  check: checkMixsearch,
  headline: ['spearman', 'predicted_loss', 'best_proxy_loss'],
} as const satisfies StageSpec<'mixsearch', typeof mixsearchWith>;
