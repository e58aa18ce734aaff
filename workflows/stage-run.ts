/**
 * One stage execution as a workflow whose id is derived from its cache key (`braise-stage-<kind>-<key>`): Temporal
 * lets one execution of an id run at a time, so two runs that need the same uncached stage at once (the cells of a
 * sweep, or unrelated runs) compute it once. The interpreter (recipe-run.ts) starts it as a child; a run whose start
 * finds it already running waits for it to end, then takes the outputs from the cache (or, if it did not complete,
 * starts its own execution).
 *
 * Deterministic: it imports only @temporalio/workflow and types.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { StageRunInput, StageRunResult } from '../activities/types.ts';
import type { PlanNode } from '../recipe/plan.ts';
import { boundedByCancellation, localControl, stageActivity } from './control.ts';

/** The workflow id of the execution of `node` with `cacheKey`: one a namespace runs at a time. */
export function stageWorkflowId(node: Pick<PlanNode, 'kind'>, cacheKey: string): string {
  return `braise-stage-${node.kind}-${cacheKey}`;
}

export async function stageRun({ request, attempt, activityId }: StageRunInput): Promise<StageRunResult> {
  const { runId, node, inputs } = request;
  // An execution with this id may have completed between the starting run's look-up and this start: the outputs are
  // cached now (the step is recorded as a cache hit of the starting run). Otherwise this records nothing new.
  const prepared = await localControl.prepareStep({ runId, node, inputs, attempt, noCache: false });
  if (prepared.cached) return { cached: prepared.cached };
  const startedAt = Date.now();
  // The activity's failure (or cancellation) ends the execution with it; the starting run records the failed step.
  const result = await boundedByCancellation(stageActivity(node, activityId)(request), () => true);
  // Recorded before the execution ends, so a run that waited on it finds the outputs in the cache.
  const durationMs = Date.now() - startedAt;
  await CancellationScope.nonCancellable(() =>
    localControl.completeStep({ runId, node, attempt, inputs, status: 'completed', result, error: null, durationMs }),
  );
  return { computed: result };
}
