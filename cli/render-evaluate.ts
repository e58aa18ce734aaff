/**
 * The evaluation tables `braise run` and `braise status` print for an evaluate stage, read from its
 * metric names (recipe/stages/evaluate-metrics.ts): one row per model with every task's headline metric
 * and its standard error (the models scored on the same rows and windows, so the rows compare), then
 * bits per byte by domain beside the n-gram baselines.
 */
import { EVALUATE_BASELINES, EVALUATE_METRICS, parseEvaluateMetric, type EvaluateBaseline, type EvaluateMetricName } from '../recipe/stages/evaluate.ts';
import { table } from './table.ts';

interface Parsed {
  m: EvaluateMetricName;
  v: number;
}

const value = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(4));

/**
 * Models as rows, task metrics as columns (`<task> <metric>`, perplexity's mean over domains), cells `value ± stderr`;
 * null when the metrics have no task metric. The CLI prints it as a table, `npm run report:tulu3` as Markdown.
 */
export function evaluationComparison(metrics: Readonly<Record<string, number>>, order: readonly string[] = []): { header: string[]; rows: string[][] } | null {
  return comparisonRows(parseAll(metrics), order);
}

/**
 * The models the metrics name, in `order` (the run's stage ids) where it has them: metrics read back from
 * lineage come in no particular order.
 */
function modelsIn(parsed: readonly Parsed[], order: readonly string[]): string[] {
  const rank = (m: string) => (order.includes(m) ? order.indexOf(m) : order.length);
  return [...new Set(parsed.map((p) => p.m.model ?? ''))].sort((a, b) => rank(a) - rank(b));
}

function comparisonRows(parsed: readonly Parsed[], order: readonly string[]): { header: string[]; rows: string[][] } | null {
  const own = parsed.filter((p) => p.m.baseline === null && (p.m.domain === null || p.m.domain === 'mean'));
  const models = modelsIn(own, order);
  const columns: Array<{ task: string; metric: string; key: string }> = [];
  for (const p of own) {
    const key = `${p.m.task}\u0000${p.m.metric}`;
    if (!p.m.stderr && !columns.some((c) => c.key === key)) columns.push({ task: p.m.task, metric: p.m.metric, key });
  }
  if (columns.length === 0) return null;
  // A fixed order whatever order the metrics came in: bits per byte first, then by task, then by metric.
  const rank = (c: (typeof columns)[number]) => (EVALUATE_METRICS as readonly string[]).indexOf(c.metric);
  columns.sort((a, b) => Number(b.metric === 'bits_per_byte') - Number(a.metric === 'bits_per_byte') || a.task.localeCompare(b.task) || rank(a) - rank(b));
  const find = (model: string, c: (typeof columns)[number], stderr: boolean) =>
    own.find((p) => (p.m.model ?? '') === model && p.m.task === c.task && p.m.metric === c.metric && p.m.stderr === stderr)?.v;
  const cell = (model: string, c: (typeof columns)[number]) => {
    const v = find(model, c, false);
    const se = find(model, c, true);
    return v === undefined ? '-' : se === undefined ? value(v) : `${value(v)} ± ${value(se)}`;
  };
  return {
    header: ['MODEL', ...columns.map((c) => `${c.task} ${c.metric}${c.metric === 'bits_per_byte' ? ' (mean)' : ''}`)],
    rows: models.map((model) => [model === '' ? '(model)' : model, ...columns.map((c) => cell(model, c))]),
  };
}

function comparison(id: string, parsed: readonly Parsed[], order: readonly string[]): string[] {
  const t = comparisonRows(parsed, order);
  if (t === null) return [];
  return ['', `${id}: tasks by model (every model on the same rows and windows; ± standard error)`, table([t.header, ...t.rows])];
}

/** Bits per byte by domain: per model its column, then each baseline it has, in EVALUATE_BASELINES order. */
function byDomain(id: string, parsed: readonly Parsed[], order: readonly string[]): string[] {
  const domains = parsed.filter((p) => p.m.metric === 'bits_per_byte' && !p.m.stderr && p.m.domain !== 'mean');
  if (domains.length === 0) return [];
  const models = modelsIn(domains, order);
  const names = [...new Set(domains.map((d) => d.m.domain!))].sort();
  const columns = models.flatMap((model) => [
    { model, baseline: null as EvaluateBaseline | null },
    ...EVALUATE_BASELINES.filter((b) => domains.some((d) => (d.m.model ?? '') === model && d.m.baseline === b)).map((b) => ({ model, baseline: b as EvaluateBaseline | null })),
  ]);
  const cell = (c: (typeof columns)[number], domain: string) => value(domains.find((d) => (d.m.model ?? '') === c.model && d.m.baseline === c.baseline && d.m.domain === domain)?.v);
  const header = ['DOMAIN', ...columns.map((c) => [c.model, c.baseline === null ? 'BITS/BYTE' : c.baseline.toUpperCase()].filter(Boolean).join(' '))];
  const hasBaselines = columns.some((c) => c.baseline !== null);
  return [
    '',
    `${id}: bits per byte by domain (held-out documents${hasBaselines ? '; baselines: byte n-grams fitted on the training documents, Witten-Bell smoothed' : ''})`,
    table([header, ...names.map((n) => [n, ...columns.map((c) => cell(c, n))])]),
  ];
}

/** The lines an evaluate stage adds to a run's rendering (none when it has no evaluate metrics yet). */
export function renderEvaluation(id: string, metrics: Readonly<Record<string, number>>, order: readonly string[] = []): string[] {
  const parsed = parseAll(metrics);
  return [...comparison(id, parsed, order), ...byDomain(id, parsed, order)];
}

function parseAll(metrics: Readonly<Record<string, number>>): Parsed[] {
  return Object.entries(metrics)
    .map(([k, v]) => ({ m: parseEvaluateMetric(k), v }))
    .filter((x): x is Parsed => x.m !== null);
}
