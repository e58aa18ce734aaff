/**
 * The merge methods on one tensor (mergekit 0.1.5's `merge_methods/`: linear.py, slerp.py,
 * generalized_task_arithmetic.py, and sparsify.py's magnitude and bernoulli pruning), as plain loops over
 * Float32Arrays: merging is a few passes over the weights, no autograd, so TensorFlow.js is not needed (and
 * not loaded). Arithmetic is float64 (a tensor at a time), the result rounded to float32 once; the golden tests
 * (test/unit/ml/merge-golden.test.ts) hold it to mergekit run in float64 on the same inputs.
 * Pure: DARE's random masks come from the caller ({@link MaskSource}), seeded by the recipe.
 */

/** One input tensor's values (every input of a merge has the same shape, checked before). */
export type Values = Float32Array;

/** Σ wᵢθᵢ, divided by Σ wᵢ when `normalize` (mergekit's default). */
export function linear(tensors: readonly Values[], weights: readonly number[], normalize: boolean): Float32Array {
  const n = tensors[0]!.length;
  const acc = new Float64Array(n);
  tensors.forEach((x, i) => {
    const w = weights[i]!;
    for (let j = 0; j < n; j++) acc[j]! += w * x[j]!;
  });
  if (normalize) {
    const total = weights.reduce((a, b) => a + b, 0);
    for (let j = 0; j < n; j++) acc[j]! /= total;
  }
  return Float32Array.from(acc);
}

/** Below this |cos Ω| is interpolated spherically; above it the two are nearly collinear and lerped (mergekit's). */
export const SLERP_DOT_THRESHOLD = 0.9995;
const SLERP_EPS = 1e-8;

function norm(x: Values): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) s += x[j]! * x[j]!;
  return Math.sqrt(s);
}

/**
 * Spherical interpolation of the whole tensor from `a` (t = 0) to `b` (t = 1): Ω is the angle between the
 * normalized copies; the coefficients sin((1−t)Ω)/sin Ω and sin(tΩ)/sin Ω apply to the tensors themselves.
 */
export function slerp(t: number, a: Values, b: Values): Float32Array {
  const n = a.length;
  const out = new Float32Array(n);
  let ca = 1 - t;
  let cb = t;
  if (n > 0) {
    const na0 = norm(a);
    const nb0 = norm(b);
    const na = na0 > SLERP_EPS ? na0 : 1;
    const nb = nb0 > SLERP_EPS ? nb0 : 1;
    let dot = 0;
    for (let j = 0; j < n; j++) dot += (a[j]! / na) * (b[j]! / nb);
    dot = Math.min(1, Math.max(-1, dot));
    if (Math.abs(dot) <= SLERP_DOT_THRESHOLD) {
      const omega = Math.acos(dot);
      const s = Math.sin(omega);
      ca = Math.sin((1 - t) * omega) / s;
      cb = Math.sin(t * omega) / s;
    }
  }
  for (let j = 0; j < n; j++) out[j] = ca * a[j]! + cb * b[j]!;
  return out;
}

/** Which entries of input `i`'s task vector (length `n`) a random pruning keeps: 1 kept, 0 dropped. */
export type MaskSource = (i: number, n: number) => Uint8Array;

/** How task vectors are pruned before they are combined. */
export type Sparsify =
  | { kind: 'none' }
  /** TIES: the ⌊density·n⌋ (at least 1) largest |δ|, ties broken by position; no rescale. */
  | { kind: 'magnitude'; density: number }
  /** DARE: each entry kept with probability `density` (the masks from `masks`), optionally rescaled to δ's L1 norm. */
  | { kind: 'random'; density: number; rescale: boolean; masks: MaskSource };

export interface TaskArithmeticOptions {
  sparsify: Sparsify;
  /** TIES's sign election: keep only entries whose weighted sign agrees with the sign of Σ wᵢδᵢ (+1 on 0). */
  signConsensus: boolean;
  /** Divide by Σ wᵢ (with consensus: per entry, by the weights of the entries kept; 0 counts as 1). */
  normalize: boolean;
  lambda: number;
}

/** mergekit's `rescaled_masked_tensor` with the L1 norm: the kept entries scaled so Σ|δ| is unchanged. */
const RESCALE_EPS = 1e-7;

/** Prunes `delta` in place; returns how many entries it kept. */
function sparsifyInPlace(delta: Float64Array, s: Sparsify, i: number): number {
  const n = delta.length;
  if (s.kind === 'none' || s.density >= 1) return n;
  let keep: Uint8Array;
  if (s.kind === 'magnitude') {
    const k = Math.max(1, Math.floor(s.density * n));
    const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => Math.abs(delta[y]!) - Math.abs(delta[x]!) || x - y);
    keep = new Uint8Array(n);
    for (let r = 0; r < Math.min(k, n); r++) keep[order[r]!] = 1;
  } else {
    keep = s.masks(i, n);
    if (keep.length !== n) throw new Error(`mask for input ${i} has ${keep.length} entries, expected ${n}`);
  }
  let before = 0;
  let after = 0;
  let kept = 0;
  for (let j = 0; j < n; j++) {
    before += Math.abs(delta[j]!);
    if (keep[j] === 1) {
      after += Math.abs(delta[j]!);
      kept++;
    } else {
      delta[j] = 0;
    }
  }
  if (s.kind === 'random' && s.rescale && before >= RESCALE_EPS && after >= RESCALE_EPS) {
    const scale = before / after;
    for (let j = 0; j < n; j++) delta[j]! *= scale;
  }
  return kept;
}

/** What {@link taskArithmetic} returns: the merged tensor and, per input, the entries its pruning kept. */
export interface TaskArithmeticResult {
  values: Float32Array;
  kept: number[];
}

/**
 * mergekit's generalized task arithmetic: δᵢ = θᵢ − θ_base, pruned ({@link Sparsify}), weighted, optionally
 * sign-elected, summed, optionally normalized, scaled by λ and added to the base. Task arithmetic is no pruning
 * and no consensus; TIES is magnitude pruning with consensus; DARE is random pruning with or without it.
 */
export function taskArithmetic(base: Values, tensors: readonly Values[], weights: readonly number[], o: TaskArithmeticOptions): TaskArithmeticResult {
  const n = base.length;
  const kept: number[] = [];
  const deltas = tensors.map((x, i) => {
    const d = new Float64Array(n);
    for (let j = 0; j < n; j++) d[j] = x[j]! - base[j]!;
    kept.push(sparsifyInPlace(d, o.sparsify, i));
    const w = weights[i]!;
    for (let j = 0; j < n; j++) d[j]! *= w;
    return d;
  });
  const mixed = new Float64Array(n);
  if (o.signConsensus) {
    for (let j = 0; j < n; j++) {
      let total = 0;
      for (const d of deltas) total += d[j]!;
      const majority = total >= 0 ? 1 : -1;
      let sum = 0;
      let divisor = 0;
      deltas.forEach((d, i) => {
        if (Math.sign(d[j]!) === majority) {
          sum += d[j]!;
          divisor += weights[i]!;
        }
      });
      mixed[j] = o.normalize ? sum / (divisor === 0 ? 1 : divisor) : sum;
    }
  } else {
    const total = weights.reduce((a, b) => a + b, 0);
    const divisor = Math.abs(total) < 1e-8 ? 1 : total;
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (const d of deltas) sum += d[j]!;
      mixed[j] = o.normalize ? sum / divisor : sum;
    }
  }
  const values = new Float32Array(n);
  for (let j = 0; j < n; j++) values[j] = base[j]! + o.lambda * mixed[j]!;
  return { values, kept };
}
