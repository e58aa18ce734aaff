/**
 * RegMix (Liu et al. 2024, sail-sg/regmix) in miniature: the proxy mixtures of
 * `mixture_config/synthesize_mixture.py`, a regression from mixture weights to the target loss, and the
 * predicted best mixture (the mean of the top-K of many Dirichlet samples by predicted loss). PURE and
 * seeded: the same seed gives the same mixtures on every machine.
 *
 * Where it follows the reference (its constants are the defaults of {@link PROXY_SAMPLING}):
 * - p is the token prior tempered as p^0.5 (renormalized); each draw picks one of 15 strengths log-spaced
 *   in [0.1, 5] at random and samples w ~ Dirichlet(s·p);
 * - a draw with any wᵢ > min(15·pᵢ, 1), pᵢ the untempered prior (the reference's bound is computed before
 *   tempering), is rejected; weights below `minimum` are set to 0, the rest renormalized and rounded to
 *   multiples of `minimum`; duplicates are dropped and K of the accepted draws are chosen at random from
 *   `K × 100` draws.
 * Where it differs: the regressor is ridge regression on w (closed form; the reference's notebook fits
 * LightGBM, and reports linear regression as a close second) — a linear model on a simplex is exactly
 * what a handful of tiny proxies can support.
 */
import { mulberry32, type Rng } from '../random.ts';

/** The reference's sampling constants. */
export const PROXY_SAMPLING = {
  temperature: 0.5,
  minStrength: 0.1,
  maxStrength: 5,
  strengths: 15,
  maxUsage: 15,
  minimum: 2e-4,
  multiplier: 100,
} as const;

export type ProxySampling = { -readonly [K in keyof typeof PROXY_SAMPLING]: number };

/** Non-negative values scaled to sum 1 (throws when they sum to 0). */
export function normalized(xs: readonly number[]): number[] {
  const total = xs.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error('normalized: the values sum to 0');
  return xs.map((x) => x / total);
}

/** The prior tempered as p^t, renormalized (t = 1: the prior itself). */
export function temperedPrior(prior: readonly number[], t: number): number[] {
  return normalized(normalized(prior).map((p) => p ** t));
}

/** `n` values log-spaced from `lo` to `hi` inclusive (numpy's logspace over log10 bounds). */
export function logSpaced(lo: number, hi: number, n: number): number[] {
  if (n === 1) return [lo];
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  return Array.from({ length: n }, (_, i) => 10 ** (a + ((b - a) * i) / (n - 1)));
}

function standardNormal(rng: Rng): number {
  const u1 = Math.max(rng(), 1e-300);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng());
}

/** One Gamma(shape, 1) draw (Marsaglia and Tsang; shape < 1 by Gamma(shape + 1)·U^(1/shape)). */
export function gammaSample(rng: Rng, shape: number): number {
  if (!(shape > 0)) throw new Error(`gammaSample: shape must be positive, got ${shape}`);
  if (shape < 1) return gammaSample(rng, shape + 1) * Math.max(rng(), 1e-300) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(Math.max(u, 1e-300)) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** One Dirichlet(alpha) draw. A draw whose gammas all underflow to 0 (tiny alphas) puts all its mass on the largest alpha's component. */
export function dirichletSample(rng: Rng, alpha: readonly number[]): number[] {
  const g = alpha.map((a) => gammaSample(rng, a));
  const total = g.reduce((a, b) => a + b, 0);
  if (total > 0) return g.map((x) => x / total);
  const top = alpha.indexOf(Math.max(...alpha));
  return alpha.map((_, i) => (i === top ? 1 : 0));
}

/**
 * Whether a draw passes the reference's bound: no weight above min(maxUsage·pᵢ, 1), p the untempered prior
 * (normalized). A domain may not be used more than `maxUsage` times its natural share.
 */
export function withinUsageBound(w: readonly number[], prior: readonly number[], maxUsage: number): boolean {
  const p = normalized(prior);
  return w.every((x, i) => x <= Math.min(p[i]! * maxUsage, 1));
}

/** The reference's post-processing: weights below `minimum` to 0, renormalized, rounded to multiples of `minimum`. */
export function roundToMinimum(w: readonly number[], minimum: number): number[] {
  const kept = normalized(w.map((x) => (x < minimum ? 0 : x)));
  return kept.map((x) => Math.round(x / minimum) * minimum);
}

/**
 * K proxy mixtures around the token `prior` (one weight per domain, any scale), seeded, as the reference's
 * `generate_weights_dirichlet`: `K × multiplier` draws, the bounded ones kept, rounded, deduplicated, and K of
 * them chosen at random. Throws when fewer than K distinct mixtures pass the bound.
 */
export function sampleProxyMixtures(prior: readonly number[], k: number, seed: number, sampling: ProxySampling = { ...PROXY_SAMPLING }): number[][] {
  const rng = mulberry32(seed);
  const p = temperedPrior(prior, sampling.temperature);
  const strengths = logSpaced(sampling.minStrength, sampling.maxStrength, sampling.strengths);
  const seen = new Set<string>();
  const accepted: number[][] = [];
  for (let i = 0; i < k * sampling.multiplier; i++) {
    const s = strengths[Math.floor(rng() * strengths.length)]!;
    const w = dirichletSample(
      rng,
      p.map((x) => x * s),
    );
    if (!withinUsageBound(w, prior, sampling.maxUsage)) continue;
    const rounded = roundToMinimum(w, sampling.minimum);
    const key = rounded.map((x) => x.toFixed(6)).join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    accepted.push(rounded);
  }
  if (accepted.length < k) {
    throw new Error(`only ${accepted.length} distinct mixtures of ${k * sampling.multiplier} draws stay within ${sampling.maxUsage}× the token prior; ask for fewer proxies or raise maxUsage`);
  }
  // random.sample(final_samples, k): a seeded partial Fisher–Yates shuffle.
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (accepted.length - i));
    [accepted[i], accepted[j]] = [accepted[j]!, accepted[i]!];
  }
  return accepted.slice(0, k);
}

/** A fitted linear model: ŷ = bias + Σ coef_j x_j. */
export interface LinearModel {
  coef: number[];
  bias: number;
  predict(x: readonly number[]): number;
}

/** Solves A x = b (A square) by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const d = m[col]![col]!;
    if (Math.abs(d) < 1e-300) throw new Error('ridge: singular system (raise the ridge penalty)');
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / d;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/**
 * Ridge regression: minimizes Σ (yᵢ − b − c·xᵢ)² + λ‖c‖² (the intercept unpenalized: X and y are centered),
 * in closed form (XᵀX + λI) c = Xᵀy. λ = 0 is ordinary least squares (needs XᵀX invertible).
 */
export function fitRidge(xs: readonly (readonly number[])[], ys: readonly number[], lambda: number): LinearModel {
  if (xs.length !== ys.length || xs.length === 0) throw new Error(`ridge: ${xs.length} rows against ${ys.length} targets`);
  const d = xs[0]!.length;
  const n = xs.length;
  const mx = Array.from({ length: d }, (_, j) => xs.reduce((s, x) => s + x[j]!, 0) / n);
  const my = ys.reduce((s, y) => s + y, 0) / n;
  const a = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? lambda : 0)));
  const b = new Array<number>(d).fill(0);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      const xi = xs[r]![i]! - mx[i]!;
      b[i]! += xi * (ys[r]! - my);
      for (let j = 0; j < d; j++) a[i]![j]! += xi * (xs[r]![j]! - mx[j]!);
    }
  }
  const coef = solve(a, b);
  const bias = my - coef.reduce((s, c, j) => s + c * mx[j]!, 0);
  return { coef, bias, predict: (x) => bias + coef.reduce((s, c, j) => s + c * x[j]!, 0) };
}

/** The mean of the `k` rows with the lowest scores (all rows when fewer), ties broken by position. */
export function topKAverage(rows: readonly (readonly number[])[], scores: readonly number[], k: number): number[] {
  if (rows.length === 0) throw new Error('topKAverage: no rows');
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const top = order.slice(0, Math.min(k, rows.length)).map(([, i]) => rows[i]!);
  return top[0]!.map((_, j) => top.reduce((s, r) => s + r[j]!, 0) / top.length);
}

/**
 * The predicted best mixture: `candidates` draws of Dirichlet(p) (p the tempered prior, as the reference's
 * notebook samples its prediction pool), each scored by the model, the `topK` lowest averaged.
 */
export function predictBestMixture(model: LinearModel, prior: readonly number[], opts: { candidates: number; topK: number; seed: number; temperature: number }): { weights: number[]; predicted: number } {
  const rng = mulberry32(opts.seed);
  const p = temperedPrior(prior, opts.temperature);
  const pool = Array.from({ length: opts.candidates }, () => dirichletSample(rng, p));
  const weights = topKAverage(
    pool,
    pool.map((w) => model.predict(w)),
    opts.topK,
  );
  return { weights, predicted: model.predict(weights) };
}
