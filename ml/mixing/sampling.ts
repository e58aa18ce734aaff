import type { TokenStream } from '../data.ts';
import { hashSeed, mulberry32 } from '../random.ts';

/**
 * The domain (index into `weights`) of each of `rows` rows by systematic sampling: row r takes the
 * domain whose cumulative-weight interval holds (r + u) / rows. Every row's marginal is exactly
 * `weights`, and a domain's row count is within 1 of rows × weight (iid draws would spread it
 * binomially), which keeps per-domain losses measurable at small batch sizes. `u` ∈ [0, 1).
 */
export function systematicDomains(weights: readonly number[], rows: number, u: number): number[] {
  const out: number[] = [];
  let d = 0;
  let cum = weights[0] ?? 0;
  // The last domain with weight absorbs rounding (Σ weights may fall short of 1): a zero weight is never drawn.
  let last = weights.length - 1;
  while (last > 0 && !(weights[last]! > 0)) last--;
  for (let r = 0; r < rows; r++) {
    const x = (r + u) / rows;
    // Skip zero-weight domains and those whose interval ends at or before x.
    while (d < last && x >= cum) cum += weights[++d]!;
    out.push(d);
  }
  return out;
}

/** A mixture batch: inputs and next-token targets `[batchSize, context]` row-major, and where each row came from. */
export interface MixtureBatch {
  inputs: Int32Array;
  targets: Int32Array;
  /** The domain (index into the streams) of each row. */
  rowDomains: number[];
  /** Token range [start, end) of each row's window in its domain's stream (context + 1 tokens). */
  windows: Array<[number, number]>;
}

/**
 * The batch of 0-based step `step` for a mixture: row domains by {@link systematicDomains} over
 * `weights` (aligned with `streams`), then for each row a uniformly placed window of `context + 1`
 * tokens of its domain's stream. A pure function of (weights, seed, step), so a resumed run whose
 * policy state is restored draws the same rows. Every stream must hold at least `context + 1` tokens.
 */
export function mixtureBatchAt(
  streams: readonly TokenStream[],
  weights: readonly number[],
  seed: number,
  step: number,
  batchSize: number,
  context: number,
): MixtureBatch {
  const rng = mulberry32(hashSeed(seed, step, 0x6d697842)); // 'mixB'
  const rowDomains = systematicDomains(weights, batchSize, rng());
  const inputs = new Int32Array(batchSize * context);
  const targets = new Int32Array(batchSize * context);
  const windows: Array<[number, number]> = [];
  rowDomains.forEach((d, row) => {
    const stream = streams[d]!;
    const off = Math.floor(rng() * (stream.tokens.length - context));
    const w = stream.tokens.subarray(off, off + context + 1);
    inputs.set(w.subarray(0, context), row * context);
    targets.set(w.subarray(1), row * context);
    windows.push([off, off + context + 1]);
  });
  return { inputs, targets, rowDomains, windows };
}
