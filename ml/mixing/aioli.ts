import { z } from 'zod';
import { JobInputError } from '../errors.ts';
import { hashSeed, mulberry32 } from '../random.ts';
import { exponentiatedStep, fromRecord, solveLinear, toRecord, uniform } from './simplex.ts';
import type { MixtureDomain, MixturePolicy } from './spec.ts';

/** Options of {@link aioliPolicy}, as in the `aioli` {@link MixtureSpec}. */
export interface AioliOptions {
  eta: number;
  updateEvery: number;
  lpRounds?: number;
  lpSteps?: number;
  oneHotFactor?: number;
  normalizeA?: boolean;
  diagonal?: boolean;
  ema?: number;
  /** Seeds the order in which LearnParams visits the domains. */
  seed?: number;
}

const matrix = z.array(z.array(z.number()));
const stateSchema = z.object({
  method: z.literal('aioli'),
  p: z.record(z.string(), z.number()),
  emaA: matrix.nullable(),
  lastA: matrix.nullable(),
  probes: z.array(z.tuple([z.number().int(), z.record(z.string(), z.number())])),
});

/**
 * Aioli (Chen, Hu, Lourie, Cho, Ré 2024, "Aioli: A Unified Optimization Framework for Language Model
 * Data Mixing", Algorithm 1 with LearnParams), at small scale.
 *
 * Aioli assumes the linear dynamic mixing law L_{t+1} = L_t − A_t p_t: training on mixture p for a
 * while lowers domain i's loss by Σ_j A_ij p_j. Each round of `updateEvery` steps it
 *
 * 1. LearnParams: for `lpRounds` sweeps, visits the k domains in a seeded random order and trains
 *    `lpSteps` steps on the perturbed mixture that puts `oneHotFactor` f on domain j (the rest
 *    spread evenly), measuring every domain's loss before and after. The drops form
 *    G_ij = mean over sweeps of (L_i,before − L_i,after) for the interval on j; since G_i· = W A_i·
 *    with W the matrix of perturbed mixtures, A's rows are solved from W (with f = 1, A = G).
 *    With `diagonal` (`aioli_diagonal`, oneHotFactor < 1) only the diagonal is kept: A_ii = G_ii / f.
 * 2. Optionally normalizes A (`normalizeA`, default true: the released code's `aioli_normalize_A`, set by
 *    every run script it ships; shift so the smallest entry is 0, then divide by the sum), which makes η
 *    scale-free.
 * 3. Takes an exponentiated-gradient step on the mixing-law objective:
 *    p_j ← p_j · exp(η · Σ_i A_ij), normalized. With `ema` set it follows the released code
 *    instead: Ā ← (1 − ema)·A + ema·Ā and p ∝ exp(η · Σ_i Ā_ij) from uniform.
 *
 * Defaults are the reference's (HazyResearch/aioli `main.py`): `lpRounds` 1, `lpSteps` 5, `oneHotFactor` 1,
 * no `ema`. Its `aioli_prior` (a static mixture before the first round) is not offered.
 *
 * Simplifications, each forced by the small in-process setting: LearnParams runs at the *end* of
 * each round rather than its start (so the first `updateEvery − k·lpRounds·lpSteps` steps train on
 * the uniform initial mixture, and every round's update lands on a multiple of `updateEvery`);
 * "loss" is measured by the trainer on a fixed set of probe windows per domain drawn from the
 * training data (the trainer gets no validation split); and the per-domain training losses passed
 * to {@link MixturePolicy.update} are not used.
 */
export function aioliPolicy(domains: readonly MixtureDomain[], o: AioliOptions, where: string, saved?: unknown): MixturePolicy {
  const names = domains.map((d) => d.name);
  const k = names.length;
  const U = o.updateEvery;
  const rounds = o.lpRounds ?? 1;
  const S = o.lpSteps ?? 5;
  const f = o.oneHotFactor ?? 1;
  const normalizeA = o.normalizeA ?? true;
  const diagonal = o.diagonal ?? false;
  const seed = o.seed ?? 0;
  const L = k > 1 ? k * rounds * S : 0;
  if (!(o.eta > 0)) throw new JobInputError(`${where}.eta: expected a number > 0`);
  if (k > 1 && !(f > 1 / k && f <= 1)) throw new JobInputError(`${where}.oneHotFactor: must be in (1/k, 1] = (${1 / k}, 1] for ${k} domains`);
  if (diagonal && f === 1) throw new JobInputError(`${where}.diagonal: needs oneHotFactor < 1 (with a one-hot perturbation A is G itself)`);
  if (L >= U) {
    throw new JobInputError(
      `${where}.updateEvery: ${U} must exceed domains × lpRounds × lpSteps = ${k} × ${rounds} × ${S} = ${L}, so each round also trains on the learned mixture`,
    );
  }

  let p = uniform(k);
  let emaA: number[][] | null = null;
  let lastA: number[][] | null = null;
  let probes = new Map<number, number[]>();
  if (saved !== undefined) {
    const s = stateSchema.parse(saved);
    p = fromRecord(names, s.p, `${where} (checkpoint state).p`, () => 0);
    emaA = s.emaA;
    lastA = s.lastA;
    probes = new Map(s.probes.map(([step, loss]) => [step, fromRecord(names, loss, `${where} (checkpoint state).probes`, () => NaN)]));
  }

  const lpStart = U - L; // offset within a round where LearnParams begins
  /** The domain perturbed in LearnParams interval m of round r. */
  const intervalDomain = (r: number, m: number): number => {
    const sweep = Math.floor(m / k);
    const rng = mulberry32(hashSeed(seed, r, sweep));
    const order = Array.from({ length: k }, (_, i) => i);
    for (let i = k - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order[m % k]!;
  };
  const perturbed = (j: number): number[] => names.map((_, i) => (i === j ? f : (1 - f) / (k - 1)));

  const weights = (): Record<string, number> => toRecord(names, p);

  function estimateA(round: number): number[][] {
    const start = round * U + lpStart;
    const losses: number[][] = [];
    for (let m = 0; m <= k * rounds; m++) {
      const loss = probes.get(start + m * S);
      if (loss === undefined) throw new Error(`aioli: missing probe losses at step ${start + m * S}`);
      losses.push(loss);
    }
    const order = Array.from({ length: k * rounds }, (_, m) => intervalDomain(round, m));
    return learnedA(order, losses, { lpRounds: rounds, oneHotFactor: f, diagonal });
  }

  return {
    method: 'aioli',
    weights,
    samplingWeights(step) {
      const q = step % U;
      if (k === 1 || q < lpStart) return weights();
      return toRecord(names, perturbed(intervalDomain(Math.floor(step / U), Math.floor((q - lpStart) / S))));
    },
    wantsProbe(step) {
      if (k === 1 || step === 0) return false;
      const q = step % U;
      return q === 0 || (q >= lpStart && (q - lpStart) % S === 0);
    },
    observeProbe(step, perDomainLoss) {
      probes.set(step, fromRecord(names, perDomainLoss, 'aioli probe', (n) => {
        throw new Error(`aioli: probe at step ${step} has no loss for domain '${n}'`);
      }));
    },
    update(step) {
      if (k === 1 || step % U !== 0 || step === 0) return;
      const A = estimateA(step / U - 1);
      probes = new Map();
      lastA = A.map((row) => [...row]);
      ({ p, emaA } = aioliStep(p, A, emaA, { eta: o.eta, normalizeA, ema: o.ema }));
    },
    state: () => ({
      method: 'aioli',
      p: weights(),
      emaA,
      lastA,
      probes: [...probes].map(([step, loss]) => [step, toRecord(names, loss)]),
    }),
  };
}

/**
 * LearnParams' estimate of A from one round's probes (HazyResearch/aioli `learn_params_subroutine`): `order[m]` is
 * the domain perturbed in interval m (lpRounds sweeps of the k domains), `losses[m]` the per-domain loss before it
 * and `losses[m + 1]` after. G_ij = mean over sweeps of the drops of domain i's loss over the intervals on j; with
 * oneHotFactor f < 1 each row of A solves W A_i· = G_i· (W the perturbed mixtures), or with `diagonal`
 * A_ii = G_ii / f and 0 elsewhere; with f = 1, A = G.
 */
export function learnedA(order: readonly number[], losses: readonly (readonly number[])[], o: { lpRounds: number; oneHotFactor: number; diagonal: boolean }): number[][] {
  const k = losses[0]!.length;
  const f = o.oneHotFactor;
  const G = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  order.forEach((j, m) => {
    for (let i = 0; i < k; i++) G[i]![j]! += losses[m]![i]! - losses[m + 1]![i]!;
  });
  const mean = G.map((row) => row.map((g) => g / o.lpRounds));
  if (f === 1) return mean;
  if (o.diagonal) return mean.map((row, i) => row.map((g, j) => (i === j ? g / f : 0)));
  const W = Array.from({ length: k }, (_, j) => Array.from({ length: k }, (__, i) => (i === j ? f : (1 - f) / (k - 1))));
  return mean.map((row) => solveLinear(W, row));
}

/**
 * One Aioli update from a learned A (HazyResearch/aioli `train`): optionally normalized (shifted to non-negative
 * entries, scaled to sum 1), then p ← p ⊙ exp(η · Σ_i A_ij) normalized, or with `ema`
 * Ā ← (1 − ema)·A + ema·Ā (Ā = A at the first update) and p ∝ exp(η · Σ_i Ā_ij) from uniform.
 */
export function aioliStep(
  p: readonly number[],
  learned: readonly (readonly number[])[],
  emaA: number[][] | null,
  o: { eta: number; normalizeA: boolean; ema?: number | undefined },
): { p: number[]; emaA: number[][] | null } {
  const k = p.length;
  let A = learned.map((row) => [...row]);
  if (o.normalizeA) {
    const min = Math.min(...A.flat());
    if (min < 0) A = A.map((row) => row.map((a) => a - min));
    const total = A.flat().reduce((a, b) => a + b, 0);
    if (total > 0) A = A.map((row) => row.map((a) => a / total));
  }
  const colSum = (M: number[][]): number[] => Array.from({ length: k }, (_, j) => M.reduce((acc, row) => acc + row[j]!, 0));
  if (o.ema === undefined) return { p: exponentiatedStep(p, colSum(A), o.eta), emaA };
  const g = o.ema;
  const next = emaA === null ? A : A.map((row, i) => row.map((a, j) => (1 - g) * a + g * emaA[i]![j]!));
  return { p: exponentiatedStep(uniform(k), colSum(next), o.eta), emaA: next };
}

/** The last estimated mixing-law matrix A (rows: affected domain i, columns: trained domain j), before normalization; null before the first update. */
export function aioliLastA(state: unknown): number[][] | null {
  return stateSchema.parse(state).lastA;
}
