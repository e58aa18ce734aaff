/**
 * Builds the run view (service/view.ts) from the workflow's live state or, for runs no worker is
 * serving, from lineage: the Temporal + lineage side of the service (infra/service.ts) answers with it.
 */
import { z } from 'zod';
import type { RunView } from '../service/view.ts';
import type { RunState } from '../workflows/state.ts';
import type { LineageStore } from './db/lineage.ts';

const RunOptionsSchema = z.object({ noCache: z.boolean().optional() }).loose();
/** The plan as lineage stored it; a run started with a malformed one still has a view (its stages in step order). */
const StoredPlanSchema = z.object({ nodes: z.array(z.object({ id: z.string(), kind: z.string() }).loose()) }).loose();

export function viewFromState(state: RunState, temporalUiUrl: string): RunView {
  return {
    runId: state.runId,
    workflowId: state.workflowId,
    status: state.status,
    temporalUiUrl,
    error: state.error,
    noCache: state.noCache ?? false,
    stages: state.stages.map((s) => ({
      id: s.id,
      kind: s.kind,
      status: s.status,
      attempts: s.attempts,
      durationMs: s.durationMs,
      outputs: s.outputs,
      metrics: s.metrics,
      error: s.error,
      progress: s.progress ? { step: s.progress.step, totalSteps: s.progress.totalSteps, loss: s.progress.loss } : null,
      ...(s.status === 'cached' && { cachedFrom: s.cachedFrom ?? null }),
      ...(s.status === 'running' && s.waitingOn && { waitingOn: s.waitingOn }),
    })),
  };
}

/** The view lineage holds: the latest attempt of each stage. */
export async function viewFromLineage(lineage: LineageStore, runId: string): Promise<RunView | null> {
  const run = await lineage.getRun(runId);
  if (!run) return null;
  const steps = await lineage.stepsForRun(runId);
  const latest = new Map<string, (typeof steps)[number]>();
  const attempts = new Map<string, number>();
  for (const s of steps) {
    attempts.set(s.stageId, (attempts.get(s.stageId) ?? 0) + 1);
    const prev = latest.get(s.stageId);
    if (!prev || s.attempt > prev.attempt) latest.set(s.stageId, s);
  }
  const artifactKinds = new Map<string, string>();
  for (const s of steps) for (const o of s.outputs) {
    const a = await lineage.getArtifact(o.artifactId);
    if (a) artifactKinds.set(a.id, a.kind);
  }
  const plan = StoredPlanSchema.safeParse(run.plan).data;
  const order = plan?.nodes?.map((n) => n.id) ?? [...latest.keys()];
  return {
    runId: run.id,
    workflowId: run.workflowId,
    status: run.status,
    temporalUiUrl: run.temporalUiUrl ?? '',
    error: run.error,
    noCache: RunOptionsSchema.safeParse(run.options).data?.noCache ?? false,
    stages: order.map((id) => {
      const s = latest.get(id);
      const kind = plan?.nodes?.find((n) => n.id === id)?.kind ?? s?.kind ?? 'unknown';
      if (!s) return { id, kind, status: 'pending', attempts: 0, durationMs: null, outputs: [], metrics: {} };
      return {
        id,
        kind,
        status: s.status,
        attempts: attempts.get(id) ?? 1,
        durationMs: s.durationMs ?? null,
        outputs: s.outputs.map((o) => ({ port: o.port, artifactId: o.artifactId, kind: artifactKinds.get(o.artifactId) ?? 'unknown' })),
        metrics: (s.metrics ?? {}) as Record<string, number>,
        error: s.error,
        ...(s.status === 'cached' && { cachedFrom: s.cachedFrom }),
      };
    }),
  };
}
