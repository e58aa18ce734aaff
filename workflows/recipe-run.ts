/**
 * The recipe interpreter: runs a compiled plan's nodes in dependency order,
 * independent nodes in parallel, each as an activity on its task queue.
 *
 * Deterministic: it imports only @temporalio/workflow and types. Cache look-ups
 * and lineage writes happen in control activities, so replays see recorded results.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities, StageActivities, StageInput, StageResult } from '../activities/types.ts';
import type { PlanNode, RecipeRunInput } from '../recipe/plan.ts';
import { progressQuery, resumeSignal, stageProgressSignal } from './definitions.ts';
import { outputsOf, type RunState, type StageState } from './state.ts';
import { BraiseStatus, statusAttribute } from './search-attributes.ts';
import type { RunStatus } from '../activities/types.ts';

const control = proxyActivities<ControlActivities>({
  taskQueue: 'braise-control',
  startToCloseTimeout: '2m',
  // Lineage writes are idempotent: retry them through database restarts.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 50 },
});

/** A dependency failed or was skipped, so this node never ran. */
class Skipped extends Error {}

export async function recipeRun(input: RecipeRunInput): Promise<RunState> {
  const { runId, plan, options } = input;
  const { workflowId } = workflowInfo();
  const state: RunState = {
    runId,
    workflowId,
    recipe: plan.name,
    status: 'running',
    error: null,
    resumedFrom: input.resumedFrom ?? null,
    stages: plan.nodes.map((n) => ({
      id: n.id,
      kind: n.kind,
      queue: n.queue,
      status: 'pending',
      attempts: 0,
      startedAt: null,
      durationMs: null,
      cacheKey: null,
      outputs: [],
      metrics: {},
      error: null,
      progress: null,
    })),
  };
  const stageState = new Map(state.stages.map((s) => [s.id, s]));
  let resumeGeneration = 0;

  setHandler(progressQuery, () => state);
  /** Current definition of each node; a resume may replace those of unfinished stages. */
  const defs = new Map(plan.nodes.map((n) => [n.id, n]));
  setHandler(resumeSignal, (req) => {
    for (const n of req?.nodes ?? []) {
      const s = stageState.get(n.id);
      if (s && s.status !== 'completed' && s.status !== 'cached' && defs.get(n.id)?.kind === n.kind) defs.set(n.id, n);
    }
    resumeGeneration++;
  });
  setHandler(stageProgressSignal, ({ stageId, progress }) => {
    const s = stageState.get(stageId);
    if (s && s.status === 'running') s.progress = progress;
  });

  /** Every status change goes to lineage and to the BraiseStatus search attribute. */
  const setStatus = async (status: RunStatus, error: string | null = null) => {
    state.status = status;
    state.error = error;
    upsertSearchAttributes([{ key: BraiseStatus, value: statusAttribute(status) }]);
    await control.setRunStatus({ runId, status, error });
  };

  await control.startRun({ runId, workflowId, plan, options, resumedFrom: input.resumedFrom ?? null });

  const results = new Map<string, Promise<StageResult>>();
  const runNode = async (planned: PlanNode): Promise<StageResult> => {
    const s = stageState.get(planned.id)!;
    let node = planned;
    let inputs: StageInput[];
    try {
      const upstream = await Promise.all(node.inputs.map((i) => results.get(i.node)!));
      inputs = node.inputs.map((i, k) => {
        const out = upstream[k]!.outputs.find((o) => o.port === i.port);
        if (!out) throw ApplicationFailure.nonRetryable(`stage "${i.node}" produced no "${i.port}" output`);
        return { ...i, artifact: out.artifact };
      });
    } catch (err) {
      if (!isCancellation(err)) s.status = 'skipped';
      throw err instanceof Skipped || isCancellation(err) ? err : new Skipped(node.id);
    }

    let round = 1;
    for (;;) {
      node = defs.get(node.id) ?? node;
      const prepared = await control.prepareStep({ runId, node, inputs, attempt: round, noCache: options.noCache });
      s.cacheKey = prepared.cacheKey;
      if (prepared.cached) {
        s.status = 'cached';
        s.outputs = outputsOf(prepared.cached.outputs);
        s.metrics = prepared.cached.metrics;
        s.durationMs = 0;
        return prepared.cached;
      }
      s.status = 'running';
      s.error = null;
      s.startedAt = Date.now();
      const activities = proxyActivities<StageActivities>({
        // Named after the stage, so the UI's pending activities and heartbeats say which stage they belong to.
        activityId: `${node.id}#${round}`,
        taskQueue: node.queue,
        startToCloseTimeout: node.timeouts.startToCloseMs,
        heartbeatTimeout: node.timeouts.heartbeatMs ?? undefined,
        retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: node.retry.maximumAttempts },
        // Cancelling a run waits until the trainer child process is really gone.
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      });
      const activity = activities[node.kind as keyof StageActivities];
      if (!activity) throw ApplicationFailure.nonRetryable(`no activity for stage kind "${node.kind}"`);
      try {
        const result = await activity({ runId, workflowId, node, inputs, cacheKey: prepared.cacheKey });
        s.attempts += result.attempt ?? 1;
        s.durationMs = Date.now() - s.startedAt;
        await control.completeStep({ runId, node, attempt: round, inputs, status: 'completed', result, error: null, durationMs: s.durationMs });
        s.status = 'completed';
        s.outputs = outputsOf(result.outputs);
        s.metrics = result.metrics;
        s.progress = null;
        return result;
      } catch (err) {
        if (isCancellation(err)) throw err;
        const message = failureMessage(err);
        const retryable = !(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable);
        s.attempts += retryable ? node.retry.maximumAttempts : 1;
        s.durationMs = Date.now() - (s.startedAt ?? Date.now());
        s.error = message;
        await control.completeStep({ runId, node, attempt: round, inputs, status: 'failed', result: null, error: message, durationMs: s.durationMs });
        const onFailure = options.onFailure ?? node.onFailure;
        if (onFailure === 'fail') {
          s.status = 'failed';
          throw err;
        }
        // Pause: wait for POST /v1/runs/:id/resume (or `braise resume`), then run the stage again.
        s.status = 'paused';
        await setStatus('paused', `stage "${node.id}" failed: ${message}`);
        const gen = resumeGeneration;
        await condition(() => resumeGeneration > gen);
        await setStatus('running');
        round++;
      }
    }
  };

  for (const node of plan.nodes) {
    const p = runNode(node);
    p.catch(() => undefined); // observed below through Promise.allSettled
    results.set(node.id, p);
  }

  const settled = await Promise.allSettled(results.values());
  const failures = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  const cancelled = failures.some(isCancellation);
  const real = failures.filter((f) => !isCancellation(f) && !(f instanceof Skipped));

  if (cancelled) {
    for (const s of state.stages) if (s.status === 'running' || s.status === 'pending' || s.status === 'paused') s.status = 'skipped';
    await CancellationScope.nonCancellable(() => setStatus('cancelled'));
    throw failures.find(isCancellation);
  }
  if (real.length > 0) {
    const error = state.stages.filter((s) => s.status === 'failed').map((s) => `stage "${s.id}" failed: ${s.error}`).join('; ') || failureMessage(real[0]);
    await setStatus('failed', error);
    throw ApplicationFailure.nonRetryable(error, 'BraiseRunFailed', state);
  }
  await setStatus('completed');
  return state;
}

function failureMessage(err: unknown): string {
  let e: unknown = err;
  // ActivityFailure wraps the activity's own error: report the innermost cause.
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

export type { StageState };
