/**
 * The platform's run service over a runtime: Temporal for execution and live
 * state, lineage for history, the store for artifacts. The HTTP API serves it;
 * the CLI uses it directly when no API is running. It implements the service layer's contract
 * (service/contract.ts) and writes lineage only through the recorder (infra/db/recorder.ts).
 */
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { DataRoots } from '../datasets/data-roots.ts';
import { RecipeError, applySettings, type Plan, type RecipeIssue, type RunOptions } from '../recipe/index.ts';
import { ConflictError, InvalidInputError, NotFoundError, type ArtifactInfo, type RunService, type RunSummary, type SweepReport } from '../service/contract.ts';
import { isTerminal } from '../service/status.ts';
import type { RunView } from '../service/view.ts';
import { progressQuery, resumeSignal } from '../workflows/definitions.ts';
import { lineageRecorder } from './db/recorder.ts';
import type { ArtifactRow, RunRow } from './db/schema.ts';
import { workflowUiUrl } from './config.ts';
import { fileSourceIssues } from './file-sources.ts';
import { documentTraining } from './provenance.ts';
import { runLogs } from './run-logs.ts';
import { inProcessCompiler, type RecipeCompiler } from './recipe-worker/client.ts';
import { scheduleMethods } from './schedules.ts';
import { reportArtifactOf, viewFromLineage, viewFromState, withInputs } from './run-view.ts';
import type { BraiseRuntime } from './runtime.ts';
import { executionOutcome } from './temporal/execution.ts';
import { awaitRunState, liveProgress, newRunId, readRunState, startRun, workflowIdFor } from './temporal/runs.ts';

/** What the process serving runs decides, never its clients. */
export interface RunServiceOptions {
  /** Where recipes are parsed and compiled: in-process (default), or a worker thread for the API server. */
  compiler?: RecipeCompiler;
  /**
   * The directories this starter lets `file:` sources read (checked before a run starts and carried in
   * the run's options to the worker). The HTTP API passes BRAISE_DATA_ROOTS or none; the local CLI its
   * working directory. Default: BRAISE_DATA_ROOTS if set, else unrestricted (trusted in-process callers).
   */
  dataRoots?: DataRoots;
}

/**
 * Validates a recipe as far as anything can before a run starts: the compiler's checks (with this deployment's
 * worker memory and queues), then that every `artifact:` source exists in the store and is a dataset.
 * Every problem is an InvalidInputError (422 / exit 2) and nothing has been written yet.
 */
async function validated(rt: BraiseRuntime, compiler: RecipeCompiler, recipe: string | unknown): Promise<Plan> {
  let compiled;
  try {
    compiled = await compiler.compile(recipe, { workerMemoryBytes: rt.config.workerMemoryBytes, queues: rt.config.extraQueues });
  } catch (err) {
    if (err instanceof RecipeError) throw new InvalidInputError(err.issues);
    throw err;
  }
  const issues: RecipeIssue[] = [];
  for (const ref of compiled.artifacts) {
    const where = { path: ref.path, ...(ref.line !== undefined && { line: ref.line }) };
    if (!(await rt.store.has(ref.id))) {
      issues.push({ ...where, message: `no artifact ${ref.id} in the artifact store (${rt.config.artifactsRoot}): use the id of a dataset a run produced (braise lineage <id>)` });
      continue;
    }
    const { kind } = await rt.store.get(ref.id);
    if (kind !== 'dataset') issues.push({ ...where, message: `artifact ${ref.id} is a ${kind}, not a dataset` });
  }
  if (issues.length > 0) throw new InvalidInputError(issues);
  return compiled.plan;
}

function artifactInfo(a: ArtifactRow): ArtifactInfo {
  return { id: a.id, kind: a.kind, uri: a.uri, bytes: a.bytes, meta: a.meta as Record<string, unknown>, createdAt: new Date(a.createdAt).toISOString() };
}

function summary(r: RunRow): RunSummary {
  return {
    runId: r.id,
    workflowId: r.workflowId,
    recipe: r.recipeName,
    status: r.status,
    createdAt: new Date(r.createdAt).toISOString(),
    finishedAt: r.finishedAt ? new Date(r.finishedAt).toISOString() : null,
    temporalUiUrl: r.temporalUiUrl,
    error: r.error,
    schedule: r.schedule,
  };
}

/** Refuses a plan with `file:` sources outside `roots`: every such dataset is an issue (422 / exit 2). */
async function checkFileSources(plan: Plan, roots: DataRoots): Promise<void> {
  // A sweep's cells read the same datasets (a cell sets stage settings, the model or the seed, never a dataset).
  const issues = await fileSourceIssues(plan.sweep?.cells[0]?.plan ?? plan, roots, process.cwd());
  if (issues.length > 0) throw new InvalidInputError(issues, `invalid recipe: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
}

export function createRunService(rt: BraiseRuntime, opts: RunServiceOptions = {}): RunService {
  const compiler = opts.compiler ?? inProcessCompiler;
  const recorder = lineageRecorder(rt.lineage);
  const compile = (recipe: string | unknown) => validated(rt, compiler, recipe);
  const dataRoots: DataRoots = opts.dataRoots === undefined ? rt.config.dataRoots : opts.dataRoots;
  /** Run options as the starter sets them: the data roots go to the worker with the run. */
  const withRoots = <T extends object>(options: T): T & { dataRoots?: string[] } => (dataRoots === null ? options : { ...options, dataRoots: [...dataRoots] });
  const client = () => {
    if (!rt.client) throw new Error('this process has no Temporal connection');
    return rt.client;
  };
  /** The run's status with Temporal's word on whether its execution is still open. */
  const executionStatus = async (workflowId: string, recorded: RunRow['status']): Promise<RunRow['status']> => {
    if (!rt.client) return recorded;
    const handle = client().workflow.getHandle(workflowId);
    let d = await handle.describe().catch(() => null);
    if (!d) return recorded;
    const closing = async () => {
      if (recorded === 'failed' || recorded === 'cancelled') return true;
      const state = await rt.client!.connection.withDeadline(Date.now() + 5000, () => handle.query(progressQuery)).catch(() => null);
      return state?.status === 'failed' || state?.status === 'cancelled';
    };
    if (d.status.name === 'RUNNING' && (await closing())) {
      // The run has its outcome and the execution is closing. Give it a moment.
      await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, 15_000))]);
      d = (await handle.describe().catch(() => null)) ?? d;
    }
    switch (d.status.name) {
      case 'RUNNING':
        return recorded === 'paused' ? 'paused' : 'running';
      case 'COMPLETED':
        return 'completed';
      case 'CANCELLED':
        return 'cancelled';
      default:
        return 'failed'; // FAILED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW
    }
  };
  /**
   * A view that says running or paused, checked against the execution: one that ended without the interpreter
   * saying so (terminated, timed out, failed outside it) ends in the view and in lineage, with the reason; one whose
   * workflow task keeps failing says why.
   */
  const reconcile = async (run: RunRow, view: RunView): Promise<RunView> => {
    if (isTerminal(view.status) || !rt.client) return view;
    const outcome = await executionOutcome(rt.client.workflow.getHandle(run.workflowId));
    if (!outcome) return view;
    if (outcome.open) {
      if (outcome.failingTask) view.error = `the workflow task keeps failing (attempt ${outcome.failingTask.attempt}): ${outcome.failingTask.reason}`;
      return view;
    }
    const recorded = isTerminal(run.status) ? run.error : null;
    // The state may have been read just before the execution closed (stages pending that have since been cached or
    // completed, a sweep's report not yet written): take what lineage has now, which the run wrote before it closed.
    const fresh = await viewFromLineage(rt.lineage, run.id);
    if (fresh) {
      view.stages = fresh.stages;
      if (view.cells) Object.assign(view, { cells: fresh.cells, report: fresh.report });
    }
    view.status = outcome.status;
    view.error = recorded ?? outcome.error ?? view.error ?? null;
    for (const s of view.stages) if (s.status === 'running' || s.status === 'pending' || s.status === 'paused') s.status = 'skipped';
    if (!isTerminal(run.status)) await recorder.setRunStatus(run.id, outcome.status, view.error);
    return view;
  };
  /** A recipe validated and compiled as a run start validates it (the data roots included). */
  const startablePlan = async (recipe: string | unknown): Promise<Plan> => {
    const plan = await compile(recipe);
    await checkFileSources(plan, dataRoots);
    return plan;
  };
  const requireRun = async (runId: string): Promise<RunRow> => {
    const run = await rt.lineage.getRun(runId);
    if (!run) throw new NotFoundError(`no run "${runId}"`);
    return run;
  };

  return {
    validate: startablePlan,

    async startRun({ recipe, noCache, onFailure, idempotencyKey, parent }) {
      const plan = await startablePlan(recipe);
      // Present only when there is something to say, so a clean recipe's answer is what it always was.
      const warnings = plan.warnings && plan.warnings.length > 0 ? { warnings: plan.warnings } : {};
      // The same key always names the same run: a retried request finds it instead of starting another.
      const runId = idempotencyKey ? `r-${createHash('sha256').update(`idem\0${idempotencyKey}`).digest('hex').slice(0, 20)}` : undefined;
      if (runId) {
        const existing = await rt.lineage.getRun(runId);
        if (existing) {
          if (existing.recipeHash !== plan.recipeHash) throw new ConflictError(`Idempotency-Key already used for run ${runId} with a different recipe`);
          return { runId, workflowId: existing.workflowId, temporalUiUrl: workflowUiUrl(rt.config, existing.workflowId), created: false, ...warnings };
        }
      }
      const options = withRoots({ noCache: noCache ?? false, onFailure, ...(parent !== undefined && { parent }) });
      const id = runId ?? newRunId();
      const workflowId = workflowIdFor(plan, id);
      const temporalUiUrl = workflowUiUrl(rt.config, workflowId);
      // Recorded before the workflow starts, so the run can be read back the moment this returns.
      await recorder.upsertRun({ id, workflowId, recipeName: plan.name, recipeHash: plan.recipeHash, plan, options, status: 'running', temporalUiUrl });
      try {
        await startRun(client(), plan, options, { runId: id, idempotent: runId !== undefined });
        return { runId: id, workflowId, temporalUiUrl, created: true, ...warnings };
      } catch (err) {
        if (runId && err instanceof WorkflowExecutionAlreadyStartedError) {
          const description = await client().workflow.getHandle(err.workflowId).describe();
          if (description.memo?.recipeHash !== plan.recipeHash) throw new ConflictError(`Idempotency-Key already used for run ${runId} with a different recipe`);
          return { runId, workflowId: err.workflowId, temporalUiUrl: workflowUiUrl(rt.config, err.workflowId), created: false, ...warnings };
        }
        await recorder.setRunStatus(id, 'failed', `could not start: ${(err as Error).message}`).catch(() => undefined);
        throw err;
      }
    },

    async listRuns(q) {
      const page = await rt.lineage.listRuns(q);
      return { runs: page.runs.map(summary), nextCursor: page.nextCursor };
    },

    async getRun(runId) {
      const run = await requireRun(runId);
      // The workflow's own state is the richest (live progress, Temporal attempts); it needs a control worker to
      // answer, so give it a few seconds and fall back to lineage, which always answers.
      if (rt.client) {
        const handle = rt.client.workflow.getHandle(run.workflowId);
        const state = await rt.client.connection.withDeadline(Date.now() + 5000, () => readRunState(handle)).catch(() => null);
        if (state) return withParent(run, withInputs(run.plan, await reconcile(run, viewFromState(state, workflowUiUrl(rt.config, run.workflowId)))));
      }
      const view = (await viewFromLineage(rt.lineage, runId))!;
      if (!isTerminal(view.status) && rt.client) mergeLive(view, await liveProgress(rt.client.workflow.getHandle(run.workflowId)).catch(() => null));
      return withParent(run, withInputs(run.plan, await reconcile(run, view)));
    },

    async metrics(runId, q) {
      await requireRun(runId);
      return { series: await rt.lineage.metricsForRun(runId, q) };
    },

    async logs(runId, q) {
      await requireRun(runId);
      return runLogs(rt.lineage, runId, q);
    },

    async awaitRun(runId, signal) {
      const run = await requireRun(runId);
      const state = await awaitRunState((rt.waitClient ?? client()).workflow.getHandle(run.workflowId), undefined, signal);
      return withParent(run, viewFromState(state, workflowUiUrl(rt.config, run.workflowId)));
    },

    async cancel(runId) {
      const run = await requireRun(runId);
      // A run that already ended has nothing to cancel: 409, as the API documents (not a 202 that changes nothing).
      const ended = () => new ConflictError(`run ${runId} already ended (${run.status === 'running' || run.status === 'paused' ? 'its execution is closed' : run.status}); there is nothing to cancel`);
      if (isTerminal(run.status)) throw ended();
      const handle = client().workflow.getHandle(run.workflowId);
      try {
        await handle.cancel();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw ended();
        throw err;
      }
      // A workflow whose task keeps failing never sees the request: end it here, saying why.
      const outcome = await executionOutcome(handle);
      if (outcome?.open && outcome.failingTask) {
        const reason = `cancelled while its workflow task kept failing (attempt ${outcome.failingTask.attempt}): ${outcome.failingTask.reason}`;
        await handle.terminate(reason).catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
        await recorder.setRunStatus(runId, 'cancelled', reason);
        return { runId, status: 'cancelled' as const };
      }
      return { runId, status: run.status };
    },

    async resume(runId, req) {
      const run = await requireRun(runId);
      // Temporal knows best whether the execution ended (terminated and timed-out runs never told lineage).
      const status = await executionStatus(run.workflowId, run.status);
      if (status === 'running' || status === 'completed') throw new ConflictError(`run ${runId} is ${status}; only paused, failed or cancelled runs can be resumed`);
      const oldPlan = run.plan as Plan;
      const plan = req.with && Object.keys(req.with).length > 0 ? await compile(applyOverrides(oldPlan.recipe, req.with)) : oldPlan;
      // In place, the run keeps its datasets and the roots it was started with; the worker checks each file as it opens it.
      if (status === 'paused') {
        const before = new Map(oldPlan.nodes.map((n) => [n.id, n.fingerprint]));
        const nodes = plan.nodes.filter((n) => before.get(n.id) !== n.fingerprint);
        await client().workflow.getHandle(run.workflowId).signal(resumeSignal, { nodes });
        return { runId, workflowId: run.workflowId, resumedFrom: runId, mode: 'in-place' as const, temporalUiUrl: workflowUiUrl(rt.config, run.workflowId) };
      }
      // Ended: a new execution of the (possibly changed) plan; cached stages and checkpoints make it continue, not restart.
      // The roots are this starter's, not those of whoever started the first execution.
      await checkFileSources(plan, dataRoots);
      const previous = { ...(run.options ?? { noCache: false }) } as { noCache: boolean; onFailure?: 'pause' | 'fail'; dataRoots?: string[] };
      delete previous.dataRoots;
      const options = withRoots(previous);
      const id = newRunId();
      const workflowId = workflowIdFor(plan, id);
      const temporalUiUrl = workflowUiUrl(rt.config, workflowId);
      await recorder.upsertRun({ id, workflowId, recipeName: plan.name, recipeHash: plan.recipeHash, plan, options: { ...options, noCache: false }, status: 'running', resumedFrom: runId, temporalUiUrl });
      await startRun(client(), plan, { ...options, noCache: false }, { runId: id, resumedFrom: runId });
      return { runId: id, workflowId, resumedFrom: runId, mode: 'new-execution' as const, temporalUiUrl };
    },

    async report(runId) {
      const run = await requireRun(runId);
      if (!(run.plan as Plan | null)?.sweep) throw new NotFoundError(`run ${runId} is not a sweep (its recipe has no sweep: block), so it has no report`);
      const artifactId = await reportArtifactOf(rt.lineage, runId);
      if (!artifactId) {
        if (!isTerminal(run.status)) throw new ConflictError(`run ${runId} is ${run.status}: its report is written once every cell has ended`);
        throw new NotFoundError(`run ${runId} ended (${run.status}) before its report was written`);
      }
      return { runId, artifactId, report: await rt.store.readJson<SweepReport>(artifactId) };
    },

    async getArtifact(id) {
      const a = await rt.lineage.getArtifact(id);
      if (!a) throw new NotFoundError(`no artifact "${id}"`);
      return artifactInfo(a);
    },

    async lineage(id, direction) {
      const a = await rt.lineage.getArtifact(id);
      if (!a) throw new NotFoundError(`no artifact "${id}"`);
      const nodes = direction === 'down' ? await rt.lineage.downstream(id) : await rt.lineage.upstream(id);
      const entries = nodes.map((n) => ({ artifact: artifactInfo(n.artifact), producedBy: n.producedBy ? { runId: n.producedBy.runId, stageId: n.producedBy.stageId, kind: n.producedBy.kind } : null, depth: n.depth }));
      return direction === 'down' ? { artifact: artifactInfo(a), downstream: entries } : { artifact: artifactInfo(a), upstream: entries };
    },

    ...scheduleMethods({ client, config: rt.config, plan: startablePlan, runOptions: withRoots }),

    documentTraining: (artifactId, docId) => documentTraining(rt.lineage, rt.store, artifactId, docId),

    async readiness() {
      const temporal = rt.client
        ? await rt.client.connection.workflowService.getSystemInfo({}).then(() => true, () => false)
        : false;
      const database = await rt.database.ping().then(() => true, () => false);
      if (!rt.config.artifactsS3) return { temporal, database };
      return { temporal, database, artifacts: await rt.store.reachable() };
    },
  };
}

/**
 * Applies `{ "stages.<id>.<field>": value }` (or `stages.<id>.with.<field>`, `model.<field>`, `seed`) to a normalized
 * recipe (recipe/sweep.ts's applySettings, which a sweep's cells use too). Unknown stages are InvalidInputErrors naming
 * the key; the result is validated again by the caller.
 */
export function applyOverrides(recipe: unknown, overrides: Record<string, unknown>): unknown {
  const { recipe: copy, issues } = applySettings(recipe, overrides);
  if (issues.length > 0) throw new InvalidInputError(issues, `invalid settings: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return copy;
}

/** A sweep's cell, or an ablation stage's proxy, says which run started it (its options name it). */
function withParent(run: RunRow, view: RunView): RunView {
  const parent = (run.options as RunOptions | null)?.parent;
  if (!parent) return view;
  return { ...view, parent: { runId: parent.runId, ...(parent.cell !== undefined && { cell: parent.cell }), ...(parent.stageId !== undefined && { stageId: parent.stageId }) } };
}

function mergeLive(view: RunView, live: Map<string, { step: number; totalSteps: number; loss: number | null }> | null): void {
  for (const s of view.stages) {
    const p = live?.get(s.id);
    if (p && s.status === 'running') s.progress = { step: p.step, totalSteps: p.totalSteps, loss: p.loss };
  }
}
