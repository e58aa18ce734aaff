/**
 * A sweep's comparison report (the `report` artifact an ablation run records as its output): a row per cell with
 * its values, the compared metric and each stage's headline metrics; the best cell by `compare.goal`; and for a
 * scheduled sweep the cells worse than in the previous report of the same schedule by more than
 * `regressionThreshold`. PURE: the report activity builds it, the CLI and the API print it.
 */
import type { SweepPlan } from './plan.ts';
import { specOf } from './stages/index.ts';

/** How a cell ended, as the ablation run saw its child run end. */
export interface CellOutcome {
  index: number;
  values: Record<string, unknown>;
  runId: string;
  status: 'completed' | 'failed' | 'cancelled';
  error: string | null;
  /** The child's stages with their metrics (from its final state). */
  stages: Array<{ id: string; kind: string; metrics: Record<string, number> }>;
}

export interface SweepReportCell {
  index: number;
  values: Record<string, unknown>;
  runId: string;
  status: CellOutcome['status'];
  error: string | null;
  /** `compare.metric` of this cell; null without `compare`, or when the cell did not record it. */
  metric: number | null;
  /** Each stage's headline metrics (the registry's `headline`), as `<stageId>/<metric>`. */
  headlines: Record<string, number>;
  /**
   * The change of `metric` against the baseline cell's (relative, as regressions are measured; negative is lower);
   * null without a baseline, or when either metric is missing.
   */
  vsBaseline: number | null;
  /** Whether the cell's metric is better than the baseline's by `compare.goal`; null when `vsBaseline` is. */
  beatsBaseline: boolean | null;
}

export interface SweepRegression {
  index: number;
  values: Record<string, unknown>;
  /** This report's metric (null: the cell failed, or did not record it this time). */
  metric: number | null;
  previous: number;
  /** (metric − previous) / |previous| (metric − previous when previous is 0); null when metric is. */
  change: number | null;
}

export interface SweepReport {
  kind: 'sweep-report';
  version: 1;
  runId: string;
  recipe: string;
  /** The Temporal Schedule that started the run, or null. */
  schedule: string | null;
  paths: string[];
  compare: SweepPlan['compare'];
  regressionThreshold: number;
  cells: SweepReportCell[];
  /** The completed cell with the best metric (ties: the first); null without `compare` or a cell that recorded it. */
  best: { index: number; runId: string; values: Record<string, unknown>; metric: number } | null;
  /** The cell the others are measured against (`compare.baseline`), with its metric (null if it recorded none), or null. */
  baseline: { index: number; runId: string; values: Record<string, unknown>; metric: number | null } | null;
  /** The report compared against (a scheduled sweep's previous report), or null. */
  previous: { runId: string; artifactId: string } | null;
  /** Cells worse than in `previous` by more than the threshold; null when there is nothing to compare with. */
  regressions: SweepRegression[] | null;
}

/** A cell's values as a key that finds the same cell in another report, whatever its index. */
function cellKey(values: Record<string, unknown>): string {
  return JSON.stringify(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The value of `<stageId>/<metric>` in a cell's stages, or null. */
export function metricOf(stages: CellOutcome['stages'], metric: string): number | null {
  const slash = metric.indexOf('/');
  const stage = stages.find((s) => s.id === metric.slice(0, slash));
  const v = stage?.metrics[metric.slice(slash + 1)];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Whether `metric` is worse than `previous` by more than `threshold` (relative; absolute when previous is 0). */
export function regressed(metric: number, previous: number, goal: 'minimize' | 'maximize', threshold: number): boolean {
  const change = relativeChange(metric, previous);
  return goal === 'minimize' ? change > threshold : change < -threshold;
}

function relativeChange(metric: number, previous: number): number {
  return previous === 0 ? metric - previous : (metric - previous) / Math.abs(previous);
}

export function buildSweepReport(
  run: { runId: string; recipe: string; schedule: string | null },
  sweep: Pick<SweepPlan, 'paths' | 'compare' | 'regressionThreshold'>,
  outcomes: readonly CellOutcome[],
  previous: { runId: string; artifactId: string; report: Pick<SweepReport, 'cells'> } | null,
): SweepReport {
  const compare = sweep.compare;
  const cells: SweepReportCell[] = outcomes.map((o) => {
    const headlines: Record<string, number> = {};
    for (const s of o.stages) for (const k of specOf(s.kind)?.headline ?? []) if (typeof s.metrics[k] === 'number') headlines[`${s.id}/${k}`] = s.metrics[k];
    return { index: o.index, values: o.values, runId: o.runId, status: o.status, error: o.error, metric: compare ? metricOf(o.stages, compare.metric) : null, headlines, vsBaseline: null, beatsBaseline: null };
  });
  const base = compare?.baseline !== undefined ? cells.find((c) => c.index === compare.baseline) : undefined;
  if (compare && base) {
    for (const c of cells) {
      if (c === base || c.metric === null || base.metric === null) continue;
      c.vsBaseline = relativeChange(c.metric, base.metric);
      c.beatsBaseline = compare.goal === 'minimize' ? c.metric < base.metric : c.metric > base.metric;
    }
  }
  let best: SweepReport['best'] = null;
  if (compare) {
    for (const c of cells) {
      if (c.status !== 'completed' || c.metric === null) continue;
      const better = best === null || (compare.goal === 'minimize' ? c.metric < best.metric : c.metric > best.metric);
      if (better) best = { index: c.index, runId: c.runId, values: c.values, metric: c.metric };
    }
  }
  let regressions: SweepRegression[] | null = null;
  if (compare && previous) {
    const before = new Map(previous.report.cells.map((c) => [cellKey(c.values), c.metric]));
    regressions = [];
    for (const c of cells) {
      const prev = before.get(cellKey(c.values));
      if (typeof prev !== 'number') continue;
      if (c.metric === null) regressions.push({ index: c.index, values: c.values, metric: null, previous: prev, change: null });
      else if (regressed(c.metric, prev, compare.goal, sweep.regressionThreshold)) {
        regressions.push({ index: c.index, values: c.values, metric: c.metric, previous: prev, change: relativeChange(c.metric, prev) });
      }
    }
  }
  return {
    kind: 'sweep-report',
    version: 1,
    runId: run.runId,
    recipe: run.recipe,
    schedule: run.schedule,
    paths: sweep.paths,
    compare,
    regressionThreshold: sweep.regressionThreshold,
    cells,
    best,
    baseline: base ? { index: base.index, runId: base.runId, values: base.values, metric: base.metric } : null,
    previous: previous ? { runId: previous.runId, artifactId: previous.artifactId } : null,
    regressions,
  };
}
