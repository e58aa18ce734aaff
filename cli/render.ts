/** Human output: the stage table, the evaluation table, the lineage tree. */
import { EVALUATE_BASELINES, parseEvaluateMetric, type EvaluateBaseline } from '../recipe/stages/evaluate.ts';
import { specOf } from '../recipe/stages/index.ts';
import type { RunView } from '../service/view.ts';

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

export function renderRun(view: RunView): string {
  const rows = [['STAGE', 'KIND', 'STATUS', 'ATTEMPTS', 'TIME', 'OUTPUTS', 'METRICS']];
  for (const s of view.stages) {
    // Each kind's headline metrics are in its spec (recipe/stages/); a kind the registry does not know shows its first three.
    const headline = specOf(s.kind)?.headline ?? [];
    const keys = headline.length > 0 ? headline : Object.keys(s.metrics).slice(0, 3);
    rows.push([
      s.id,
      s.kind,
      s.cachedFrom ? `cached (from ${s.cachedFrom.runId}${s.cachedFrom.stageId === s.id ? '' : `/${s.cachedFrom.stageId}`})` : s.status,
      String(s.attempts),
      formatDuration(s.durationMs),
      s.outputs.map((o) => `${o.port}=${o.artifactId.slice(0, 10)}`).join(' '),
      keys.filter((k) => k in s.metrics).map((k) => `${k}=${fmt(s.metrics[k]!)}`).join(' '),
    ]);
  }
  const lines = [`run ${view.runId}: ${view.status}${view.noCache ? ' (cache disabled: every stage recomputed)' : ''}`, '', table(rows)];
  for (const s of view.stages) {
    const rejections = Object.entries(s.metrics).filter(([k]) => k.startsWith('rejected/'));
    if (s.kind === 'filter' && rejections.length > 0) {
      lines.push('', `${s.id}: rejected by reason`, table([['REASON', 'DOCS'], ...rejections.map(([k, v]) => [k.slice('rejected/'.length), String(v)])]));
    }
    // The model's and its baselines' bits per byte by domain (names: recipe/stages/evaluate.ts evaluateMetricName).
    const domains = Object.entries(s.metrics)
      .map(([k, v]) => ({ m: parseEvaluateMetric(k), v }))
      .filter((x): x is { m: NonNullable<ReturnType<typeof parseEvaluateMetric>>; v: number } => x.m !== null && x.m.task === 'perplexity-by-domain' && x.m.domain !== 'mean');
    if (s.kind === 'evaluate' && domains.length > 0) {
      const models = [...new Set(domains.map((d) => d.m.model ?? ''))];
      const names = [...new Set(domains.map((d) => d.m.domain))].sort();
      // Per model: its column, then each baseline it has, in EVALUATE_BASELINES order.
      const columns = models.flatMap((model) => [
        { model, baseline: null as EvaluateBaseline | null },
        ...EVALUATE_BASELINES.filter((b) => domains.some((d) => (d.m.model ?? '') === model && d.m.baseline === b)).map((b) => ({ model, baseline: b as EvaluateBaseline | null })),
      ]);
      const cell = (c: (typeof columns)[number], domain: string) =>
        domains.find((d) => (d.m.model ?? '') === c.model && d.m.baseline === c.baseline && d.m.domain === domain)?.v.toFixed(4) ?? '-';
      const header = ['DOMAIN', ...columns.map((c) => [c.model, c.baseline === null ? 'BITS/BYTE' : c.baseline.toUpperCase()].filter(Boolean).join(' '))];
      const hasBaselines = columns.some((c) => c.baseline !== null);
      lines.push(
        '',
        `${s.id}: bits per byte by domain (held-out documents${hasBaselines ? '; baselines: byte n-grams fitted on the training documents, Witten-Bell smoothed' : ''})`,
        table([header, ...names.map((n) => [n, ...columns.map((c) => cell(c, n))])]),
      );
    }
  }
  if (view.error) lines.push('', `error: ${view.error}`);
  lines.push('', `Temporal UI: ${view.temporalUiUrl}`);
  return lines.join('\n');
}
