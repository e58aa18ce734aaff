/** The data uPlot draws: lines of `[step, value]` points aligned on one x axis (pure; unit-tested). */
import type { AlignedData } from 'uplot';

export interface Line {
  label: string;
  points: ReadonlyArray<readonly [number, number]>;
}

/** x values of every line, merged and sorted, each line's y at them (null where it has none). */
export function align(lines: readonly Line[]): AlignedData {
  const xs = [...new Set(lines.flatMap((l) => l.points.map((p) => p[0])))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const ys = lines.map((l) => {
    const y: Array<number | null> = new Array<number | null>(xs.length).fill(null);
    for (const [x, v] of l.points) y[at.get(x)!] = v;
    return y;
  });
  return [xs, ...ys];
}

