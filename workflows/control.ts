/**
 * The recipe interpreter's building blocks: the control activities' proxies, a stage's activity proxy, cancellation
 * bounded by a grace period, and failure messages. Deterministic: imports only @temporalio/workflow and types.
 */
import { ActivityCancellationType, CancellationScope, proxyActivities, proxyLocalActivities, sleep, type LocalActivityOptions } from '@temporalio/workflow';
import type { ControlActivities, StageActivities, StageActivity } from '../activities/types.ts';
import type { PlanNode } from '../recipe/plan.ts';

// Lineage writes are idempotent: retry them through database restarts (50 attempts, about 24 minutes).
const CONTROL_RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 50 } as const;

/** How every run workflow calls its control activities locally (the interpreter, and the sweep's with its own). */
export const LOCAL_CONTROL_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '2m',
  retry: CONTROL_RETRY,
  // Backoffs past 10 s wait on a workflow timer rather than in the worker, so a long database outage holds no
  // workflow task open (queries keep answering) and survives the control worker restarting.
  localRetryThreshold: '10s',
};

/** Control activities as local activities (runs with the `local-control-activities` patch). */
export const localControl = proxyLocalActivities<ControlActivities>(LOCAL_CONTROL_OPTIONS);

/** Control activities on the `braise-control` queue: how runs recorded before the patch scheduled them. */
export const remoteControl = proxyActivities<ControlActivities>({
  taskQueue: 'braise-control',
  startToCloseTimeout: '2m',
  retry: CONTROL_RETRY,
});

/** The activity that runs `node`, on its queue, with its timeouts and retries. */
export function stageActivity(node: PlanNode, activityId: string): StageActivity {
  const activities = proxyActivities<StageActivities>({
    // Named after the stage, so the UI's pending activities and heartbeats say which stage they belong to.
    activityId,
    taskQueue: node.queue,
    startToCloseTimeout: node.timeouts.startToCloseMs,
    heartbeatTimeout: node.timeouts.heartbeatMs ?? undefined,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: node.retry.maximumAttempts },
    // Cancelling a run waits until the trainer child process is really gone.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  // A proxy answers any name: an unknown kind is refused by activityOptionProblems (which knows the registry's
  // runnable kinds) before anything is scheduled.
  return activities[node.kind as keyof StageActivities];
}

/** How long a cancelled run waits for a stage to confirm (the trainer child checkpoints and exits well within it). */
const CANCEL_GRACE = '10s';

/**
 * Settles as `call` does, except that once the scope is cancelled it waits at most CANCEL_GRACE for the activity to
 * confirm: an activity that is stuck (not heartbeating, so it never hears of the cancellation) cannot hold the run.
 * `bounded` is asked once the cancellation arrives (a patch check in runs recorded before it).
 */
export function boundedByCancellation<T>(call: Promise<T>, bounded: () => boolean): Promise<T> {
  let settled = false;
  const tracked = call.finally(() => {
    settled = true;
  });
  const giveUp = new Promise<never>((_, reject) => {
    CancellationScope.current().cancelRequested.catch(async (err: unknown) => {
      if (settled || !bounded()) return;
      await CancellationScope.nonCancellable(() => sleep(CANCEL_GRACE));
      if (!settled) reject(err);
    });
  });
  return Promise.race([tracked, giveUp]);
}

/** The innermost cause's message: an activity's or a child workflow's failure wraps the error that says what happened. */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
