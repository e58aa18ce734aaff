/**
 * An evaluate stage's tables from its metric names (recipe/stages/evaluate-metrics.ts is their one
 * home, shared with the CLI): models by task metric (value ± stderr), and bits per byte by domain beside
 * the n-gram baselines.
 */
import { parseEvaluateMetric, type EvaluateMetricName } from '../recipe/stages/evaluate-metrics.ts';

export interface Table {
  title: string;
  header: string[];
  rows: Array<{ label: string; cells: Array<{ value: number | null; stderr: number | null }> }>;
}

interface Parsed extends EvaluateMetricName {
  v: number;
}

const parse = (metrics: Readonly<Record<string, number>>): Parsed[] =>
  Object.entries(metrics).flatMap(([k, v]) => {
    const m = parseEvaluateMetric(k);
    return m ? [{ ...m, v }] : [];
  });

const find = (ps: readonly Parsed[], f: (p: Parsed) => boolean, stderr: boolean): number | null => ps.find((p) => p.stderr === stderr && f(p))?.v ?? null;
const uniq = <T,>(xs: readonly T[]): T[] => [...new Set(xs)];

/** The stage's tables: empty when its metrics name no evaluate metric. */
export function evaluationTables(metrics: Readonly<Record<string, number>>): Table[] {
  const ps = parse(metrics);
  const own = ps.filter((p) => p.baseline === null);
  const models = uniq(own.map((p) => p.model ?? ''));
  const label = (m: string) => (m === '' ? 'model' : m);
  const tables: Table[] = [];

  const taskCols = uniq(own.filter((p) => p.domain === null || p.domain === 'mean').map((p) => `${p.task}\u0000${p.metric}`));
  if (taskCols.length > 0) {
    const cols = taskCols.map((c) => c.split('\u0000') as [string, string]);
    tables.push({
      title: 'By task',
      header: ['model', ...cols.map(([t, m]) => `${t} ${m}${m === 'bits_per_byte' ? ' (mean)' : ''}`)],
      rows: models.map((model) => ({
        label: label(model),
        cells: cols.map(([t, m]) => {
          const f = (p: Parsed) => (p.model ?? '') === model && p.task === t && p.metric === m && (p.domain === null || p.domain === 'mean');
          return { value: find(own, f, false), stderr: find(own, f, true) };
        }),
      })),
    });
  }

  const bpb = ps.filter((p) => p.metric === 'bits_per_byte' && p.domain !== null);
  for (const task of uniq(bpb.map((p) => p.task))) {
    const inTask = bpb.filter((p) => p.task === task);
    const columnOf = (p: Parsed) => (p.baseline ? `${p.model ? `${p.model} ` : ''}${p.baseline}` : label(p.model ?? ''));
    const columns = uniq(inTask.map(columnOf));
    const domains = uniq(inTask.map((p) => p.domain ?? '')).sort((a, b) => Number(a === 'mean') - Number(b === 'mean') || a.localeCompare(b));
    tables.push({
      title: `${task}: bits per byte by domain`,
      header: ['domain', ...columns],
      rows: domains.map((d) => ({
        label: d,
        cells: columns.map((c) => {
          const f = (p: Parsed) => p.task === task && p.domain === d && columnOf(p) === c;
          return { value: find(inTask, f, false), stderr: find(inTask, f, true) };
        }),
      })),
    });
  }
  return tables;
}
