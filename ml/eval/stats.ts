/**
 * The statistics evaluate reports, as lm-evaluation-harness computes them where it has a closed form: the
 * mean of per-row scores with the standard error of the mean (`mean_stderr`: sample standard deviation,
 * n − 1, over √n), `acc` and `acc_norm` of a multiple-choice row, and for bits per byte (a ratio of sums,
 * which lm-eval bootstraps) the linearized standard error of a ratio estimator over documents, so the
 * number is deterministic. PURE.
 */

/** The mean of `xs` and its standard error (undefined below two values, where it has none). */
export function meanStderr(xs: readonly number[]): { mean: number; stderr: number | undefined } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, stderr: undefined };
  const ss = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { mean, stderr: Math.sqrt(ss / (n - 1)) / Math.sqrt(n) };
}

/**
 * R = Σ num / Σ den and its standard error by the delta method, documents as the sampling unit:
 * √(n/(n−1) · Σ (numᵢ − R·denᵢ)²) / Σ den (undefined below two documents). For bits per byte, numᵢ is a
 * document's bits and denᵢ its bytes.
 */
export function ratioStderr(num: readonly number[], den: readonly number[]): { ratio: number; stderr: number | undefined } {
  const n = num.length;
  const totalNum = num.reduce((a, b) => a + b, 0);
  const totalDen = den.reduce((a, b) => a + b, 0);
  const ratio = totalNum / totalDen;
  if (n < 2) return { ratio, stderr: undefined };
  const ss = num.reduce((a, x, i) => a + (x - ratio * den[i]!) ** 2, 0);
  return { ratio, stderr: Math.sqrt((n / (n - 1)) * ss) / totalDen };
}

/** The index of the largest value, the first on ties (numpy's argmax, which lm-eval uses). */
export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/**
 * lm-eval's multiple-choice metrics of one row: `acc` is 1 when the choice with the largest summed
 * log-likelihood is `gold`; `acc_norm` when the largest log-likelihood divided by the choice's length is
 * (lm-eval divides by characters; here by UTF-8 bytes, the byte tokenizer's tokens: the same for ASCII).
 */
export function choiceScores(logLikelihoods: readonly number[], byteLengths: readonly number[], gold: number): { acc: number; accNorm: number; pick: number; pickNorm: number } {
  const pick = argmax(logLikelihoods);
  const pickNorm = argmax(logLikelihoods.map((ll, i) => ll / byteLengths[i]!));
  return { acc: pick === gold ? 1 : 0, accNorm: pickNorm === gold ? 1 : 0, pick, pickNorm };
}
