/** Human output: the stage table, the evaluation table, the lineage tree. */
import { specOf } from '../recipe/stages/index.ts';
import type { RunView } from '../service/view.ts';
import { renderMergeablation, renderMixsearch } from './render-ablation.ts';
import { renderEvaluation } from './render-evaluate.ts';
import { renderCells } from './render-sweep.ts';
import { table } from './table.ts';

export { table };

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

/** A stage's status cell: whose outputs a cached stage took, whose execution a waiting stage waits for. */
function stageStatus(s: RunView['stages'][number]): string {
  const origin = (o: { runId: string; stageId: string }) => `${o.runId}${o.stageId === s.id ? '' : `/${o.stageId}`}`;
  if (s.cachedFrom) return `cached (from ${origin(s.cachedFrom)})`;
  if (s.waitingOn) return `waiting on run ${origin(s.waitingOn)}`;
  return s.status;
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
      stageStatus(s),
      String(s.attempts),
      formatDuration(s.durationMs),
      s.outputs.map((o) => `${o.port}=${o.artifactId.slice(0, 10)}`).join(' '),
      keys.filter((k) => k in s.metrics).map((k) => `${k}=${fmt(s.metrics[k]!)}`).join(' '),
    ]);
  }
  const p = view.parent;
  const cell = !p ? '' : p.cell !== undefined ? ` (cell ${p.cell} of sweep ${p.runId})` : ` (started by stage ${p.stageId ?? '?'} of run ${p.runId})`;
  const lines = [`run ${view.runId}: ${view.status}${cell}${view.noCache ? ' (cache disabled: every stage recomputed)' : ''}`, ''];
  // A sweep (an ablation run) has cells, each a child run, and no stages of its own.
  if (view.cells) lines.push(renderCells(view.cells), ...(view.report ? ['', `report: ${view.report} (braise report ${view.runId})`] : []));
  else lines.push(table(rows));
  for (const s of view.stages) {
    const rejections = Object.entries(s.metrics).filter(([k]) => k.startsWith('rejected/'));
    if (s.kind === 'filter' && rejections.length > 0) {
      lines.push('', `${s.id}: rejected by reason`, table([['REASON', 'DOCS'], ...rejections.map(([k, v]) => [k.slice('rejected/'.length), String(v)])]));
    }
    if (s.kind === 'evaluate') lines.push(...renderEvaluation(s.id, s.metrics, view.stages.map((x) => x.id)));
    if (s.kind === 'mixsearch') lines.push(...renderMixsearch(s.id, s.metrics));
    if (s.kind === 'mergeablation') lines.push(...renderMergeablation(s.id, s.metrics));
  }
  if (view.error) lines.push('', `error: ${view.error}`);
  lines.push('', `Temporal UI: ${view.temporalUiUrl}`);
  return lines.join('\n');
}
