/**
 * The recipe interpreter: runs a compiled plan's nodes in dependency order,
 * independent nodes in parallel, each as an activity on its task queue.
 *
 * Deterministic: it imports only @temporalio/workflow and types. Cache look-ups
 * and lineage writes happen in control activities, so replays see recorded results.
 * They run as local activities, in the worker that runs this workflow (the
 * `braise-control` worker, which has the lineage database): no task-queue round
 * trip per call, so a stage costs one activity round trip, not three.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  setHandler,
  sleep,
  TemporalFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities, PreparedCached, PrepareStepResult, StageInput, StageResult } from '../activities/types.ts';
import type { PlanNode, RecipeRunInput } from '../recipe/plan.ts';
import { progressQuery, resumeSignal, stageProgressSignal } from './definitions.ts';
import { outputsOf, type RunState, type StageState } from './state.ts';
import { statusSetter } from './run-status.ts';
import { activityOptionProblems } from './activity-guard.ts';
import { boundedByCancellation, failureMessage, localControl, remoteControl, stageActivity } from './control.ts';

/** A dependency failed or was skipped, so this node never ran. */
class Skipped extends Error {}

/**
 * Behaviour added after histories were recorded. Each is asked for only where it changes what the workflow does,
 * so runs that never reach that point (and every recorded history) emit exactly the commands they did before.
 */
const PATCH = {
  /** A stage whose activity options Temporal would reject fails (instead of the workflow task failing forever). */
  optionGuard: 'braise-activity-option-guard',
  /** An error in the interpreter itself ends the run as failed, with the reason, in lineage too. */
  workflowError: 'braise-workflow-error-ends-run',
  /** A cancelled run waits at most CANCEL_GRACE for a stage's activity to confirm, then ends. */
  boundedCancel: 'braise-bounded-cancel',
  /** A --no-cache run's training uses checkpoints of its own run only. */
  noCacheScope: 'braise-nocache-checkpoint-scope',
  /**
   * Control work (cache look-ups, lineage writes) runs as local activities, and a finished stage's lineage is written
   * while its successors start. Asked once, at the start: it changes every command from there on.
   */
  localControl: 'local-control-activities',
  /**
   * Every stage the cache can answer at the start (a cached rerun: all of them) is looked up and recorded in one
   * control call instead of one per stage. Asked once, at the start, by runs that may use the cache.
   */
  batchedCache: 'braise-batched-cache-lookup',
  /**
   * Single flight by cache key: the look-up of a stage that is not cached claims its cache key in lineage, or says
   * which run holds the claim; this run then waits on durable timers, asking again, until the outputs are cached or
   * the claim is released or abandoned (then it computes the stage itself). Asked once, at the start, by runs that
   * may use the cache (a --no-cache run computes every stage itself, and neither claims nor waits).
   */
  stageClaims: 'braise-stage-claims',
} as const;

/** The control activities this run uses: local with the patch, on `braise-control` in histories recorded before it. */
function controlActivities(): ControlActivities {
  return patched(PATCH.localControl) ? localControl : remoteControl;
}

/** A finished stage's lineage could not be written, after the control activities' retries. */
class LineageWriteFailed extends Error {
  constructor(stageId: string, cause: string) {
    super(`recording stage "${stageId}" in lineage failed: ${cause}`);
  }
}

export async function recipeRun(input: RecipeRunInput): Promise<RunState> {
  try {
    return await interpret(input);
  } catch (err) {
    // The interpreter's own outcomes (a failed stage, cancellation) and Temporal's failures end the run as they are.
    if (err instanceof TemporalFailure || isCancellation(err) || !patched(PATCH.workflowError)) throw err;
    // Anything else is a bug or a malformed plan: failing the workflow task would retry it forever, the run "running".
    const error = `the workflow failed: ${failureMessage(err)}`;
    const runId: unknown = (input as Partial<RecipeRunInput> | undefined)?.runId;
    if (typeof runId === 'string') {
      await CancellationScope.nonCancellable(() => controlActivities().setRunStatus({ runId, status: 'failed', error })).catch(() => undefined);
    }
    throw ApplicationFailure.nonRetryable(error, 'BraiseWorkflowError');
  }
}

async function interpret(input: RecipeRunInput): Promise<RunState> {
  const { runId, plan, options } = input;
  const { workflowId } = workflowInfo();
  // With the patch, control work runs as local activities and a finished stage's lineage is written while its
  // successors start (below). Histories recorded before it replay with the remote activities, in order.
  const localControlPatch = patched(PATCH.localControl);
  const control = localControlPatch ? localControl : remoteControl;
  // Asked here, in the first activation, not after startRun: a patch first asked after a local activity's result
  // replays wrongly when a workflow task ended between the two (core notifies the marker one activation late).
  const batchedCachePatch = localControlPatch && !options.noCache && patched(PATCH.batchedCache);
  const claimsPatch = localControlPatch && !options.noCache && patched(PATCH.stageClaims);
  /** Lineage writes of finished stages (each resolving to its failure, if any); the run ends only after all of them. */
  const lineageWrites: Array<Promise<LineageWriteFailed | null>> = [];
  const state: RunState = {
    runId,
    workflowId,
    recipe: plan.name,
    status: 'running',
    error: null,
    resumedFrom: input.resumedFrom ?? null,
    noCache: options.noCache,
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
      cachedFrom: null,
      waitingOn: null,
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

  /**
   * Every status change goes to lineage and to the BraiseStatus search attribute. The query shows it once lineage
   * has it, so a reader who sees a run end finds lineage saying the same (the commands' order is unchanged).
   */
  const setStatus = statusSetter(control, runId, state);

  await control.startRun({ runId, workflowId, plan, options, resumedFrom: input.resumedFrom ?? null });
  /** Stages found in the cache at the start (with the patch), each with the inputs it was looked up with. */
  const precached = new Map<string, PreparedCached>();
  if (batchedCachePatch) {
    for (const p of await control.prepareCached({ runId, nodes: plan.nodes })) precached.set(p.nodeId, p);
  }

  /** Records a stage whose outputs came from the cache in the run state. */
  const fromCache = (s: StageState, cached: StageResult): StageResult => {
    s.status = 'cached';
    s.outputs = outputsOf(cached.outputs);
    s.metrics = cached.metrics;
    s.cachedFrom = cached.producedBy ?? null;
    s.durationMs = 0;
    s.waitingOn = null;
    return cached;
  };

  /** The longest wait between two look-ups of a stage another run is computing. */
  const MAX_WAIT_S = 10;

  /**
   * Looks the stage up in the cache, claiming its cache key (with the patch) when it is not there. While another run
   * holds the claim, waits on durable timers (1 s, doubling up to MAX_WAIT_S) showing whose it is (`waitingOn`), and
   * asks again: until the outputs are cached, or the claim is released (the owner's stage failed) or abandoned (its
   * workflow closed), when this run takes it and computes the stage itself.
   */
  const prepare = async (s: StageState, node: PlanNode, inputs: StageInput[], round: number): Promise<PrepareStepResult> => {
    const ask = () => control.prepareStep({ runId, node, inputs, attempt: round, noCache: options.noCache, ...(claimsPatch && { claim: { workflowId } }) });
    let prepared = await ask();
    for (let delay = 1; prepared.claimedBy; delay = Math.min(delay * 2, MAX_WAIT_S)) {
      s.cacheKey = prepared.cacheKey;
      s.status = 'running';
      s.startedAt ??= Date.now();
      s.waitingOn = prepared.claimedBy;
      await sleep(`${delay}s`);
      prepared = await ask();
    }
    s.waitingOn = null;
    return prepared;
  };

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
      const early = round === 1 ? precached.get(node.id) : undefined;
      const prepared = early ?? (await prepare(s, node, inputs, round));
      /** With the patch, this run holds the claim of an uncached stage's key until its step is recorded. */
      const releaseClaim = claimsPatch && !prepared.cached ? { releaseClaim: prepared.cacheKey } : {};
      s.cacheKey = prepared.cacheKey;
      if (prepared.cached) return fromCache(s, prepared.cached);
      const activityId = `${node.id}#${round}`;
      const problems = activityOptionProblems(node, activityId);
      if (problems.length > 0 && patched(PATCH.optionGuard)) {
        // Temporal would reject the activity and fail the workflow task over and over: fail the stage and the run.
        const message = `invalid activity options: ${problems.join('; ')}`;
        s.status = 'failed';
        s.error = message;
        s.durationMs = 0;
        await control.completeStep({ runId, node, attempt: round, inputs, status: 'failed', result: null, error: message, durationMs: 0, ...releaseClaim });
        throw ApplicationFailure.nonRetryable(`stage "${node.id}": ${message}`, 'BraiseInvalidActivityOptions');
      }
      s.status = 'running';
      s.error = null;
      s.startedAt = Date.now();
      try {
        const noCache = options.noCache && patched(PATCH.noCacheScope) ? { noCache: true } : {};
        const request = { runId, workflowId, node, inputs, cacheKey: prepared.cacheKey, ...noCache };
        const result = await boundedByCancellation(stageActivity(node, activityId)(request), () => patched(PATCH.boundedCancel));
        s.attempts += result.attempt ?? 1;
        s.durationMs = Date.now() - s.startedAt;
        const completed = { runId, node, attempt: round, inputs, status: 'completed' as const, result, error: null, durationMs: s.durationMs, ...releaseClaim };
        if (localControlPatch) {
          // Successors need only the outputs: their cache look-ups run alongside this write (completeStep records the
          // input artifacts it names, so it depends on no other write). Not cancellable: a finished stage stays recorded.
          const write = CancellationScope.nonCancellable(() => control.completeStep(completed));
          lineageWrites.push(write.then(() => null, (err: unknown) => new LineageWriteFailed(node.id, failureMessage(err))));
        } else {
          await control.completeStep(completed);
        }
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
        await control.completeStep({ runId, node, attempt: round, inputs, status: 'failed', result: null, error: message, durationMs: s.durationMs, ...releaseClaim });
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
  const writeFailures = (await Promise.all(lineageWrites)).filter((f) => f !== null);
  const failures = [...settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown), ...writeFailures];
  const cancelled = failures.some(isCancellation);
  const real = failures.filter((f) => !isCancellation(f) && !(f instanceof Skipped));

  if (cancelled) {
    for (const s of state.stages) if (s.status === 'running' || s.status === 'pending' || s.status === 'paused') s.status = 'skipped';
    await CancellationScope.nonCancellable(() => setStatus('cancelled'));
    throw failures.find(isCancellation);
  }
  if (real.length > 0) {
    const error =
      [
        ...state.stages.filter((s) => s.status === 'failed').map((s) => `stage "${s.id}" failed: ${s.error}`),
        ...writeFailures.map((f) => f.message),
      ].join('; ') || failureMessage(real[0]);
    await setStatus('failed', error);
    throw ApplicationFailure.nonRetryable(error, 'BraiseRunFailed', state);
  }
  await setStatus('completed');
  return state;
}

export type { StageState };
