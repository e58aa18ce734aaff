/**
 * Builds the run view (service/view.ts) from the workflow's live state or, for runs no worker is
 * serving, from lineage: the Temporal + lineage side of the service (infra/service.ts) answers with it.
 */
import { z } from 'zod';
import { REPORT_STEP } from '../activities/sweep/activity.ts';
import type { Plan, SweepPlan } from '../recipe/plan.ts';
import type { CellView, RunView } from '../service/view.ts';
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
    ...(state.cells && {
      cells: state.cells.map((c) => ({ index: c.index, values: c.values, runId: c.runId, status: c.status, error: c.error, metric: c.metric })),
      report: state.report ?? null,
    }),
  };
}

const PlanInputsSchema = z.object({ nodes: z.array(z.object({ id: z.string(), inputs: z.array(z.object({ node: z.string() }).loose()) }).loose()) }).loose();

/** The view with each stage's `inputs` (the nodes it reads) from the plan lineage stored; unchanged when the plan has none. */
export function withInputs(plan: unknown, view: RunView): RunView {
  const nodes = PlanInputsSchema.safeParse(plan).data?.nodes;
  if (!nodes) return view;
  const inputs = new Map(nodes.map((n) => [n.id, [...new Set(n.inputs.map((i) => i.node))]]));
  return { ...view, stages: view.stages.map((s) => ({ ...s, inputs: inputs.get(s.id) ?? [] })) };
}

/** An ablation run's cells as lineage has them: its child runs, with the compared metric of those that ended. */
async function cellsFromLineage(lineage: LineageStore, runId: string, sweep: SweepPlan): Promise<{ cells: CellView[]; report: string | null }> {
  const children = new Map((await lineage.childRuns(runId)).map((r) => [r.id, r]));
  const cells: CellView[] = [];
  for (const c of sweep.cells) {
    const childId = `${runId}-c${c.index}`;
    const child = children.get(childId);
    let metric: number | null = null;
    if (child && sweep.compare && child.status === 'completed') {
      const stageId = sweep.compare.metric.split('/')[0]!;
      const step = (await lineage.stepsForRun(childId)).filter((s) => s.stageId === stageId).at(-1);
      const v = step?.metrics?.[sweep.compare.metric.slice(stageId.length + 1)];
      metric = typeof v === 'number' ? v : null;
    }
    cells.push({ index: c.index, values: c.values, runId: childId, status: child?.status ?? 'pending', error: child?.error ?? null, metric });
  }
  return { cells, report: await reportArtifactOf(lineage, runId) };
}

/** The report artifact an ablation run recorded (its `report` step's output), or null. */
export async function reportArtifactOf(lineage: LineageStore, runId: string): Promise<string | null> {
  const step = (await lineage.stepsForRun(runId)).find((s) => s.stageId === REPORT_STEP && s.status === 'completed');
  return step?.outputs.find((o) => o.port === 'report')?.artifactId ?? null;
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
  const sweep = (run.plan as Plan | null)?.sweep;
  return {
    ...(sweep && (await cellsFromLineage(lineage, runId, sweep))),
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
