/**
 * An ablation run: a recipe with a `sweep:` block, run as one child `recipeRun` per cell, at most
 * `sweep.parallelism` at a time, then a report of the cells (recipe/sweep-report.ts) recorded as the run's output.
 *
 * - The parent is a run in lineage like any other (its plan holds the cells' plans); each child is a run whose
 *   options name the parent (`parent: { runId, cell }`), with run id `<parent>-c<index>` and workflow id
 *   `<parent's workflow id>-c<index>`, so the parent's Temporal history lists its children.
 * - Cells run with `onFailure: fail`: a stage that fails after its retries fails its cell (a paused cell would hold the
 *   sweep with nothing to say why). The other cells go on; the report lists the failed ones, and the parent then ends
 *   `failed`, naming them (`braise resume <parent>` runs the sweep again; finished stages come from the cache).
 * - Cancelling the parent cancels every running child (and their stages' trainers), and starts no more.
 *
 * Deterministic: imports only @temporalio/workflow and types.
 */
import { ApplicationFailure, CancellationScope, ChildWorkflowFailure, isCancellation, ParentClosePolicy, proxyLocalActivities, setHandler, startChild, TemporalFailure, workflowInfo } from '@temporalio/workflow';
import type { ControlActivities, SweepActivities } from '../activities/types.ts';
import type { RecipeRunInput, RunOptions } from '../recipe/plan.ts';
import type { CellOutcome } from '../recipe/sweep-report.ts';
import { progressQuery, RECIPE_WORKFLOW } from './definitions.ts';
import type { recipeRun } from './recipe-run.ts';
import { failureMessage, LOCAL_CONTROL_OPTIONS } from './control.ts';
import { statusSetter } from './run-status.ts';
import { runSearchAttributes } from './search-attributes.ts';
import type { CellState, RunState } from './state.ts';

const control = proxyLocalActivities<ControlActivities & SweepActivities>(LOCAL_CONTROL_OPTIONS);

export async function ablationRun(input: RecipeRunInput): Promise<RunState> {
  try {
    return await runSweep(input);
  } catch (err) {
    if (err instanceof TemporalFailure || isCancellation(err)) throw err;
    // A bug or a malformed plan: end the run as failed, with the reason, rather than retry the workflow task forever.
    const error = `the workflow failed: ${failureMessage(err)}`;
    await CancellationScope.nonCancellable(() => control.setRunStatus({ runId: input.runId, status: 'failed', error })).catch(() => undefined);
    throw ApplicationFailure.nonRetryable(error, 'BraiseWorkflowError');
  }
}

async function runSweep(input: RecipeRunInput): Promise<RunState> {
  const { runId, plan, options } = input;
  const { workflowId } = workflowInfo();
  const sweep = plan.sweep;
  if (!sweep) throw ApplicationFailure.nonRetryable(`plan "${plan.name}" has no sweep: start it as a recipeRun`, 'BraiseNotASweep');
  const cells: CellState[] = sweep.cells.map((c) => ({
    index: c.index,
    values: c.values,
    runId: `${runId}-c${c.index}`,
    workflowId: `${workflowId}-c${c.index}`,
    status: 'pending',
    error: null,
    metric: null,
  }));
  const state: RunState = {
    runId,
    workflowId,
    recipe: plan.name,
    status: 'running',
    error: null,
    resumedFrom: input.resumedFrom ?? null,
    noCache: options.noCache,
    stages: [],
    cells,
    report: null,
  };
  setHandler(progressQuery, () => state);
  const setStatus = statusSetter(control, runId, state);

  await control.startRun({ runId, workflowId, plan, options, resumedFrom: input.resumedFrom ?? null });

  const outcomes = new Map<number, CellOutcome>();
  const runCell = async (i: number): Promise<void> => {
    const cell = cells[i]!;
    const { plan: cellPlan, values } = sweep.cells[i]!;
    const childOptions: RunOptions = { ...options, onFailure: 'fail', parent: { runId, cell: cell.index } };
    cell.status = 'running';
    let final: RunState | null;
    try {
      const child = await startChild<typeof recipeRun>(RECIPE_WORKFLOW, {
        workflowId: cell.workflowId,
        taskQueue: workflowInfo().taskQueue,
        args: [{ runId: cell.runId, plan: cellPlan, options: childOptions, resumedFrom: null }],
        memo: { recipe: cellPlan.name, recipeHash: cellPlan.recipeHash, parentRunId: runId },
        typedSearchAttributes: runSearchAttributes(cellPlan.name, options.schedule),
        // The parent ending for any reason (terminated too) cancels what still runs.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      });
      final = await child.result();
      cell.status = 'completed';
    } catch (err) {
      if (isCancellation(err)) {
        cell.status = 'cancelled';
        throw err;
      }
      cell.status = 'failed';
      cell.error = failureMessage(err);
      // A failed run attaches its final state to its failure (recipeRun's BraiseRunFailed).
      const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
      const details = cause instanceof ApplicationFailure ? (cause.details?.[0] as RunState | undefined) : undefined;
      final = details && Array.isArray(details.stages) ? details : null;
    }
    const stages = (final?.stages ?? []).map((s) => ({ id: s.id, kind: s.kind, metrics: s.metrics }));
    outcomes.set(cell.index, { index: cell.index, values, runId: cell.runId, status: cell.status, error: cell.error, stages });
    if (sweep.compare) {
      const slash = sweep.compare.metric.indexOf('/');
      const v = stages.find((s) => s.id === sweep.compare!.metric.slice(0, slash))?.metrics[sweep.compare.metric.slice(slash + 1)];
      cell.metric = typeof v === 'number' ? v : null;
    }
  };

  // `parallelism` lanes, each taking the next cell when its last one ends.
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < cells.length) await runCell(next++);
  };
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(sweep.parallelism, cells.length) }, lane));
  const cancelled = lanes.some((l) => l.status === 'rejected' && isCancellation(l.reason));
  if (cancelled) {
    for (const c of cells) if (c.status === 'pending' || c.status === 'running') c.status = 'cancelled';
    await CancellationScope.nonCancellable(() => setStatus('cancelled'));
    throw (lanes.find((l) => l.status === 'rejected' && isCancellation(l.reason)) as PromiseRejectedResult).reason;
  }
  const broken = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (broken) throw broken.reason;

  const recorded = await control.recordSweepReport({
    runId,
    recipe: plan.name,
    schedule: options.schedule ?? null,
    sweep: { paths: sweep.paths, compare: sweep.compare, regressionThreshold: sweep.regressionThreshold },
    cells: cells.map((c) => outcomes.get(c.index)!),
  });
  state.report = recorded.artifactId;

  const failed = cells.filter((c) => c.status === 'failed');
  if (failed.length > 0) {
    const error = `${failed.length} of ${cells.length} cells failed: ${failed.map((c) => `cell ${c.index} (run ${c.runId}): ${c.error}`).join('; ')}`;
    await setStatus('failed', error);
    throw ApplicationFailure.nonRetryable(error, 'BraiseSweepFailed', state);
  }
  await setStatus('completed');
  return state;
}
