/** A unicode sparkline of a series (the loss beside a training stage's progress bar). */

const BARS = '▁▂▃▄▅▆▇█';

/**
 * The last `width` finite values of `values` as one bar each, scaled from their minimum (▁) to their maximum (█);
 * equal values are all ▄. Empty when there are none.
 */
export function sparkline(values: readonly number[], width = 16): string {
  const recent = values.filter(Number.isFinite).slice(-width);
  if (recent.length === 0) return '';
  const lo = Math.min(...recent);
  const hi = Math.max(...recent);
  if (hi === lo) return BARS[3]!.repeat(recent.length);
  return recent.map((v) => BARS[Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))]!).join('');
}

/** Recent values of a series, one per step: a repeated poll of the same step adds nothing. */
export class RecentSeries {
  private readonly points: Array<[number, number]> = [];
  constructor(private readonly keep = 64) {}

  /** Adds `value` at `step` unless the last point is that step already. */
  add(step: number, value: number): void {
    if (this.points.at(-1)?.[0] === step) return;
    this.points.push([step, value]);
    if (this.points.length > this.keep) this.points.shift();
  }

  values(): number[] {
    return this.points.map(([, v]) => v);
  }
}
