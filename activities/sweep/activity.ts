/**
 * The ablation run's report (workflows/ablation-run.ts): built from the cells' outcomes (recipe/sweep-report.ts)
 * against the previous report of the same schedule, committed as a content-addressed `report` artifact (meta
 * `{ kind: 'sweep-report', runId, recipe, schedule }`, which is how the next night finds it), and recorded in lineage
 * as the output (port `report`) of the run's step `report`. Idempotent: the same outcomes give the same artifact and
 * the same rows, so a retry changes nothing.
 */
import { buildSweepReport, type SweepReport } from '../../recipe/sweep-report.ts';
import type { ActivityDeps } from '../deps.ts';
import type { SweepActivities } from '../types.ts';

/** The step of an ablation run that records its report. */
export const REPORT_STEP = 'report';

export function createSweepActivities(deps: ActivityDeps): SweepActivities {
  const { lineage, store } = deps;
  return {
    async recordSweepReport({ runId, recipe, schedule, sweep, cells }) {
      let previous: Parameters<typeof buildSweepReport>[3] = null;
      const found = schedule ? await lineage.previousSweepReport(schedule, runId) : null;
      if (found && (await store.has(found.artifactId))) previous = { ...found, report: await store.readJson<SweepReport>(found.artifactId) };
      const report = buildSweepReport({ runId, recipe, schedule }, sweep, cells, previous);
      const artifact = await store.putJson('report', report, { kind: 'sweep-report', runId, recipe, ...(schedule && { schedule }), cells: cells.length, best: report.best?.index ?? null });
      await lineage.beginStep({ runId, stageId: REPORT_STEP, kind: 'report', attempt: 1, cacheKey: `sweep-report:${artifact.id}`, queue: 'braise-control' });
      await lineage.recordArtifact(artifact);
      const metrics: Record<string, number> = { cells: cells.length, failed: cells.filter((c) => c.status !== 'completed').length };
      if (report.best) metrics.best_metric = report.best.metric;
      if (report.regressions) metrics.regressions = report.regressions.length;
      await lineage.finishStep({ runId, stageId: REPORT_STEP, attempt: 1, status: 'completed', inputs: [], outputs: [{ port: 'report', artifactId: artifact.id }], metrics, durationMs: 0 });
      return { artifactId: artifact.id, metrics: Object.fromEntries(report.cells.map((c) => [c.index, c.metric])) };
    },
  };
}
