/** Human output: the stage table, the evaluation table, the lineage tree. */
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
    // `perplexity-by-domain/<domain>`, or `<model stage>/perplexity-by-domain/<domain>` when several models are scored.
    const domains = Object.entries(s.metrics)
      .map(([k, v]) => ({ m: /^(?:([^/]+)\/)?perplexity-by-domain\/(.+)$/.exec(k), v }))
      .filter((x): x is { m: RegExpExecArray; v: number } => x.m !== null && x.m[2] !== 'mean');
    if (s.kind === 'evaluate' && domains.length > 0) {
      const models = [...new Set(domains.map((d) => d.m[1] ?? ''))];
      const names = [...new Set(domains.map((d) => d.m[2]!))].sort();
      const cell = (model: string, domain: string) => domains.find((d) => (d.m[1] ?? '') === model && d.m[2] === domain)?.v.toFixed(4) ?? '-';
      const header = ['DOMAIN', ...models.map((m) => (m ? `${m} BITS/BYTE` : 'BITS/BYTE'))];
      lines.push('', `${s.id}: bits per byte by domain (held-out documents)`, table([header, ...names.map((n) => [n, ...models.map((m) => cell(m, n))])]));
    }
  }
  if (view.error) lines.push('', `error: ${view.error}`);
  lines.push('', `Temporal UI: ${view.temporalUiUrl}`);
  return lines.join('\n');
}
