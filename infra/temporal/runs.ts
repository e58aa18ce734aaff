/** Starting and following recipe runs through the Temporal client. */
import { randomBytes } from 'node:crypto';
import { ServiceError, WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Plan, RecipeRunInput, RunOptions } from '../../recipe/plan.ts';
import { ABLATION_WORKFLOW, progressQuery, RECIPE_WORKFLOW } from '../../workflows/definitions.ts';
import { BraiseRecipe, BraiseSchedule, BraiseStatus, runSearchAttributes } from '../../workflows/search-attributes.ts';
import type { RunState } from '../../workflows/state.ts';
import type { TrainingProgress } from '../../activities/types.ts';
import { QUEUES } from './worker.ts';

/** `r-<time><random>`: sortable, unique, short enough to type. */
export function newRunId(now = Date.now()): string {
  return `r-${now.toString(36)}${randomBytes(4).toString('hex')}`;
}

export function workflowIdFor(plan: Pick<Plan, 'name'>, runId: string): string {
  return `braise-${plan.name}-${runId}`;
}

export interface StartedRun {
  runId: string;
  workflowId: string;
  handle: WorkflowHandle;
}

/**
 * What starts a run of `plan`, in one place for every starter (the run service, a resume, a Temporal Schedule): the
 * workflow type (`ablationRun` for a recipe with a `sweep:` block, else `recipeRun`) and its input, with the memo and
 * search attributes the execution carries (BraiseSchedule when `options.schedule` is set).
 */
export function runStart(plan: Plan, options: RunOptions, extra: { runId: string; resumedFrom?: string | null }): {
  workflowType: typeof RECIPE_WORKFLOW | typeof ABLATION_WORKFLOW;
  input: RecipeRunInput;
  memo: Record<string, string>;
  typedSearchAttributes: Array<{ key: typeof BraiseRecipe; value: string }>;
} {
  return {
    workflowType: plan.sweep ? ABLATION_WORKFLOW : RECIPE_WORKFLOW,
    input: { runId: extra.runId, plan, options, resumedFrom: extra.resumedFrom ?? null },
    memo: { recipe: plan.name, recipeHash: plan.recipeHash },
    typedSearchAttributes: runSearchAttributes(plan.name, options.schedule),
  };
}

export async function startRun(
  client: Client,
  plan: Plan,
  options: RunOptions,
  extra: { runId?: string; resumedFrom?: string | null; idempotent?: boolean } = {},
): Promise<StartedRun> {
  const runId = extra.runId ?? newRunId();
  const workflowId = workflowIdFor(plan, runId);
  const start = runStart(plan, options, { runId, resumedFrom: extra.resumedFrom });
  const handle = await client.workflow.start(start.workflowType, {
    taskQueue: QUEUES.control,
    workflowId,
    args: [start.input],
    memo: start.memo,
    typedSearchAttributes: start.typedSearchAttributes,
    // An idempotent start (a fixed run id) must never start a second execution, even after the first closed.
    workflowIdReusePolicy: extra.idempotent ? 'REJECT_DUPLICATE' : 'ALLOW_DUPLICATE',
  });
  return { runId, workflowId, handle };
}

/**
 * Each running stage's latest heartbeat (step, loss, checkpoint), keyed by
 * stage id. Heartbeats are live; the `progress` query is updated at checkpoints.
 * Needs no worker: the server answers from the pending activities it tracks.
 */
export async function liveProgress(handle: WorkflowHandle): Promise<Map<string, TrainingProgress>> {
  const out = new Map<string, TrainingProgress>();
  const description = await handle.describe();
  for (const activity of description.raw.pendingActivities ?? []) {
    const payload = activity.heartbeatDetails?.payloads?.[0];
    if (!payload?.data) continue;
    const details = JSON.parse(Buffer.from(payload.data).toString('utf8')) as Partial<TrainingProgress>;
    const stageId = (activity.activityId ?? '').split('#')[0]!;
    if (typeof details.step === 'number') {
      out.set(stageId, { step: details.step, totalSteps: details.totalSteps ?? 0, loss: details.loss ?? null, checkpoint: details.checkpoint ?? null });
    }
  }
  return out;
}

/** The run state from the workflow's `progress` query, with live heartbeats merged in; null if no such workflow. */
export async function readRunState(handle: WorkflowHandle): Promise<RunState | null> {
  let state: RunState;
  try {
    state = await handle.query(progressQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const live = await liveProgress(handle).catch(() => new Map<string, TrainingProgress>());
  for (const s of state.stages) {
    const p = live.get(s.id);
    if (p && s.status === 'running') s.progress = p;
  }
  return state;
}

/** gRPC UNAVAILABLE: the server is restarting or overloaded (e.g. "shard status unknown"); worth waiting through. */
function unavailable(err: unknown): boolean {
  return err instanceof ServiceError && (err.cause as { code?: number } | undefined)?.code === 14;
}

/**
 * Waits for a run to close and returns its final state: the workflow's result,
 * or for a failed run the state it attached to its failure. Rides out the
 * server being briefly unavailable. `signal` stops the wait (it rejects with an
 * AbortError) and cancels the call in flight, so no gRPC retry outlives a caller
 * that closes its connection.
 */
export async function awaitRunState(handle: WorkflowHandle, patienceMs = 120_000, signal?: AbortSignal): Promise<RunState> {
  const call = <T>(fn: () => Promise<T>): Promise<T> => (signal ? handle.client.withAbortSignal(signal, fn) : fn());
  let unavailableSince: number | null = null;
  for (;;) {
    signal?.throwIfAborted();
    try {
      return (await call(() => handle.result())) as RunState;
    } catch (err) {
      signal?.throwIfAborted();
      if (err instanceof WorkflowFailedError) {
        const state = await call(() => handle.query(progressQuery)).catch(() => null);
        if (state) return state;
        throw err;
      }
      if (!unavailable(err)) throw err;
      unavailableSince ??= Date.now();
      if (Date.now() - unavailableSince > patienceMs) throw err;
      await abortableSleep(1000, signal);
    }
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Registers Braise's search attributes on a cluster that lacks them (the dev server is started with them). */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const service = client.connection.operatorService;
  const existing = await service.listSearchAttributes({ namespace });
  const have = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = [BraiseRecipe, BraiseStatus, BraiseSchedule].filter((k) => !have.has(k.name));
  if (missing.length === 0) return;
  await service.addSearchAttributes({
    namespace,
    // 2 = KEYWORD in temporal.api.enums.v1.IndexedValueType
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, 2])),
  });
}
