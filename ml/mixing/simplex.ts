import { JobInputError } from '../errors.ts';

/*
 * Small helpers over distributions held as arrays aligned with a sorted list of domain names.
 */

/** `values / Σ values`; throws when the sum is not a positive finite number. */
export function normalize(values: readonly number[], where: string): number[] {
  const total = values.reduce((a, b) => a + b, 0);
  if (!(total > 0) || !Number.isFinite(total)) throw new JobInputError(`${where}: weights must have a positive, finite sum (got ${total})`);
  return values.map((v) => v / total);
}

/** The uniform distribution over `k` entries. */
export function uniform(k: number): number[] {
  return Array.from({ length: k }, () => 1 / k);
}

/**
 * One exponentiated-gradient (multiplicative weights) step: p'_i ∝ p_i · exp(η · g_i), computed in
 * log space (subtracting the largest exponent) so large η·g neither overflows nor collapses to NaN.
 */
export function exponentiatedStep(p: readonly number[], g: readonly number[], eta: number): number[] {
  const logits = p.map((pi, i) => (pi > 0 ? Math.log(pi) + eta * g[i]! : -Infinity));
  const max = Math.max(...logits);
  return normalize(
    logits.map((l) => (l === -Infinity ? 0 : Math.exp(l - max))),
    'exponentiated-gradient step',
  );
}

/** (1 − c)·p + c·uniform. */
export function mixWithUniform(p: readonly number[], c: number): number[] {
  return p.map((pi) => (1 - c) * pi + c / p.length);
}

/** `{ [names[i]]: values[i] }`. */
export function toRecord(names: readonly string[], values: readonly number[]): Record<string, number> {
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}

/**
 * Reads a per-domain map into an array aligned with `names`. Unknown keys throw a
 * {@link JobInputError} naming `where.<key>`; missing names get `fallback(name)`.
 */
export function fromRecord(
  names: readonly string[],
  values: Readonly<Record<string, number>>,
  where: string,
  fallback: (name: string) => number,
): number[] {
  for (const key of Object.keys(values)) {
    if (!names.includes(key)) throw new JobInputError(`${where}.${key}: no such domain in the training data (domains: ${names.join(', ')})`);
  }
  return names.map((n) => values[n] ?? fallback(n));
}

/**
 * Solves `M x = b` (M square, small) by Gaussian elimination with partial pivoting. Throws when M is
 * singular.
 */
export function solveLinear(M: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const a = M.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-12) throw new Error('solveLinear: singular matrix');
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      if (f !== 0) for (let c = col; c <= n; c++) a[r]![c]! -= f * a[col]![c]!;
    }
  }
  return a.map((row, i) => row[n]! / row[i]!);
}
