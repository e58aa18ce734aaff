/** Human output of sweeps: the cells of an ablation run (`braise status`), a line per cell as it ends (`braise run`), and the report (`braise report`). */
import { cellLabel } from '../recipe/index.ts';
import type { RunReport } from '../service/contract.ts';
import type { CellView, RunView } from '../service/view.ts';
import type { ProgressDisplay } from './progress.ts';
import { table } from './table.ts';

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** The paths the cells set, in the order the first cells name them. */
function pathsOf(cells: ReadonlyArray<{ values: Record<string, unknown> }>): string[] {
  return [...new Set(cells.flatMap((c) => Object.keys(c.values)))];
}

/** An ablation run's cells: values, status, child run, compared metric. */
export function renderCells(cells: readonly CellView[]): string {
  const paths = pathsOf(cells);
  const rows = [['CELL', ...paths.map((p) => p.toUpperCase()), 'STATUS', 'RUN', 'METRIC']];
  for (const c of cells) rows.push([String(c.index), ...paths.map((p) => (Object.hasOwn(c.values, p) ? show(c.values[p]) : '-')), c.status, c.runId, fmt(c.metric)]);
  return table(rows);
}

/** For `braise run` of a sweep: a line on stderr for each cell as it ends. */
export function cellProgress(write: (line: string) => void): ProgressDisplay {
  const said = new Set<number>();
  return {
    update(view: RunView) {
      for (const c of view.cells ?? []) {
        if (said.has(c.index) || !['completed', 'failed', 'cancelled'].includes(c.status)) continue;
        said.add(c.index);
        write(`${cellLabel(c)} ${c.status} (run ${c.runId})${c.metric !== null ? `: metric ${fmt(c.metric)}` : ''}${c.error ? `: ${c.error}` : ''}`);
      }
    },
    stop() {},
  };
}

/** A relative change as a signed percentage (`-0.43%`), `-` when there is none. */
function percent(change: number | null): string {
  return change === null ? '-' : `${change >= 0 ? '+' : ''}${(change * 100).toFixed(2)}%`;
}

/** The report: a row per cell (values, status, the compared metric, headline metrics), the best cell, the regressions. */
export function renderReport({ runId, artifactId, report }: RunReport): string {
  // The compared metric has its own column.
  const headlines = [...new Set(report.cells.flatMap((c) => Object.keys(c.headlines)))].filter((h) => h !== report.compare?.metric);
  const metric = report.compare ? `${report.compare.metric} (${report.compare.goal})` : null;
  const vs = report.baseline !== null;
  const rows = [['CELL', ...report.paths.map((p) => p.toUpperCase()), 'STATUS', ...(metric ? [metric.toUpperCase()] : []), ...(vs ? ['VS BASELINE'] : []), ...headlines.map((h) => h.toUpperCase())]];
  for (const c of report.cells) {
    rows.push([
      String(c.index) + (report.best?.index === c.index ? ' *' : ''),
      ...report.paths.map((p) => (Object.hasOwn(c.values, p) ? show(c.values[p]) : '-')),
      c.status,
      ...(metric ? [fmt(c.metric)] : []),
      ...(vs ? [report.baseline!.index === c.index ? 'baseline' : percent(c.vsBaseline)] : []),
      ...headlines.map((h) => fmt(c.headlines[h])),
    ]);
  }
  const lines = [`report of sweep ${runId} (${report.recipe}${report.schedule ? `, schedule ${report.schedule}` : ''}; artifact ${artifactId})`, '', table(rows), ''];
  if (!report.compare) lines.push('no sweep.compare: no best cell');
  else if (report.best) lines.push(`best: ${cellLabel(report.best)} ${report.compare.metric}=${fmt(report.best.metric)} (run ${report.best.runId})`);
  else lines.push(`best: none (no cell completed with ${report.compare.metric})`);
  if (report.compare && report.baseline) {
    const b = report.baseline;
    const better = report.cells.filter((c) => c.beatsBaseline === true);
    const notBetter = report.cells.filter((c) => c.beatsBaseline === false);
    const list = (cs: typeof better) => cs.map((c) => `${cellLabel(c)} ${percent(c.vsBaseline)}`).join('; ');
    lines.push(`baseline: ${cellLabel(b)} ${report.compare.metric}=${fmt(b.metric)}`);
    lines.push(`  beat it: ${better.length > 0 ? list(better) : 'none'}`);
    lines.push(`  did not: ${notBetter.length > 0 ? list(notBetter) : 'none'}`);
  }
  for (const c of report.cells.filter((x) => x.status !== 'completed')) lines.push(`${cellLabel(c)} ${c.status}: ${c.error ?? ''}`);
  if (report.regressions === null) {
    if (report.schedule) lines.push(`regressions: none to compare with (no earlier report of schedule ${report.schedule})`);
  } else if (report.regressions.length === 0) {
    lines.push(`regressions: none beyond ${fmt(report.regressionThreshold * 100)}% since run ${report.previous!.runId}`);
  } else {
    lines.push(`regressions since run ${report.previous!.runId} (worse by more than ${fmt(report.regressionThreshold * 100)}%):`);
    for (const r of report.regressions) {
      lines.push(`  ${cellLabel(r)}: ${fmt(r.previous)} → ${fmt(r.metric)}${r.change !== null ? ` (${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)}%)` : ' (no value this time)'}`);
    }
  }
  return lines.join('\n');
}
