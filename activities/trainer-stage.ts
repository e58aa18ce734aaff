/**
 * The activity side of the trainer child, written once for every stage that runs one: where a
 * training stage resumes, its heartbeats, the metrics it records, its child's logs, and cancellation.
 *
 * - {@link runTrainerStage}: a training job (pretrain today; upsample, sft, dpo, rlvr next). A retried
 *   attempt resumes from the newer of the checkpoint in its last heartbeat and the latest one on disk
 *   for its checkpoint scope; it heartbeats `{ step, totalSteps, loss, checkpoint }` on every step and
 *   checkpoint, records `train/loss` (flushed at each checkpoint, then the whole curve), `mixture/<domain>`
 *   and a kind's own `metrics` messages, and reports each checkpoint to its workflow.
 * - {@link runStageJob}: any job (evaluate, generate): every child message is a heartbeat, its log lines go to the
 *   stage's log (stage-log.ts).
 * Cancelling the activity ends the child (SIGTERM, then SIGKILL) and surfaces as a CancelledFailure.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Context, heartbeat } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { latestCheckpoint } from '../ml/checkpoint.ts';
import type { ChildMessage, JobInput, TrainResult } from '../ml/jobs.ts';
import { runJob } from '../ml/runner.ts';
import type { ActivityDeps } from './deps.ts';
import { stageLog } from './stage-log.ts';
import type { StageRequest, TrainingProgress } from './types.ts';

/**
 * Where a retried or resumed attempt continues: the newer of the checkpoint in
 * the last heartbeat and the latest complete one on disk for this cache key
 * (a graceful shutdown writes one after its last heartbeat got through).
 */
export async function resumePoint(fromHeartbeat: string | null, checkpointDir: string): Promise<string | undefined> {
  const candidates = [fromHeartbeat, await latestCheckpoint(checkpointDir)].filter((c): c is string => c !== null);
  const usable = [];
  for (const c of candidates) if (await stat(join(c, 'state.json')).then(() => true, () => false)) usable.push(c);
  const step = (dir: string) => Number(/step-(\d+)$/.exec(dir)?.[1] ?? -1);
  return usable.sort((a, b) => step(b) - step(a))[0];
}

/**
 * Where a stage's checkpoints live. Runs that share a cache key share them, so a resumed run continues where an
 * earlier one stopped; a --no-cache run keeps its own (retries and resumes within the run still find them).
 */
export function checkpointScope(req: Pick<StageRequest, 'cacheKey' | 'runId' | 'noCache'>): string {
  return req.noCache ? `${req.cacheKey}.nocache-${req.runId.replace(/[^A-Za-z0-9_-]/g, '_')}` : req.cacheKey;
}

/** Awaits `work`, heartbeating `details()` every second until it settles (checkpoint transfers: no child messages then). */
async function heartbeating<T>(work: Promise<T>, details: () => unknown): Promise<T> {
  const timer = setInterval(() => heartbeat(details()), 1000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** Sends a child's `log` messages to the worker's logger, tagged with the stage. */
export function logChildMessage(deps: ActivityDeps, req: StageRequest, m: ChildMessage): void {
  if (m.type === 'log') deps.logger[m.level]({ stage: req.node.id }, m.msg);
}

/** Options of {@link runStageJob}. */
export interface StageJobOptions {
  /** The heartbeat details sent on every child message. */
  details: () => unknown;
  /** Every child message, after its heartbeat. */
  onMessage?: (m: ChildMessage) => void;
  /** What was cancelled, for the CancelledFailure's message (e.g. `evaluate "eval"`, `pretrain "lm" ... at step 40`). */
  cancelled: () => string;
  /** The compiler's memory estimate, so an out-of-memory failure can say what the stage was expected to need. */
  estimatedMemoryBytes?: number;
}

/** Runs one job in a trainer child for the current activity: heartbeats on every message, a CancelledFailure on cancel. */
export async function runStageJob<R>(job: JobInput, opts: StageJobOptions): Promise<R> {
  const ctx = Context.current();
  const log = stageLog();
  try {
    return await runJob<R>(job, {
      signal: ctx.cancellationSignal,
      onMessage: (m) => {
        heartbeat(opts.details());
        // The child's own lines (evaluate's per-domain scores, warnings, its stderr) go to the stage's log.
        if (m.type === 'log') log?.add(m.level, m.msg);
        opts.onMessage?.(m);
      },
      ...(opts.estimatedMemoryBytes !== undefined ? { estimatedMemoryBytes: opts.estimatedMemoryBytes } : {}),
    });
  } catch (err) {
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure(opts.cancelled());
    throw err;
  }
}

/** Where a training stage's job reads and writes its checkpoints, for {@link TrainerStageOptions.job}. */
export interface ResumePoint {
  checkpointDir: string;
  /** The checkpoint to resume from, if any. */
  resumeFrom: string | undefined;
}

/** Options of {@link runTrainerStage}. */
export interface TrainerStageOptions {
  /** The job to run, given where its checkpoints go and where it resumes. */
  job(point: ResumePoint): JobInput;
  /** The steps the job trains to (the first heartbeat's `totalSteps`). */
  totalSteps: number;
  estimatedMemoryBytes?: number;
}

/** What {@link runTrainerStage} returns: the job's result and where it trained. */
export interface TrainerStageResult<R> extends ResumePoint {
  result: R;
}

/**
 * Runs a training job for stage `req` (see the file header): the resume point, heartbeats, metrics,
 * logs and cancellation. The stage's kind names it in messages (`pretrain "lm" cancelled at step 40`).
 */
export async function runTrainerStage<R extends TrainResult>(deps: ActivityDeps, req: StageRequest, opts: TrainerStageOptions): Promise<TrainerStageResult<R>> {
  const ctx = Context.current();
  const checkpointDir = join(deps.config.checkpointsRoot, checkpointScope(req));
  const previous = ctx.info.heartbeatDetails as Partial<TrainingProgress> | undefined;
  // Another machine may have trained this stage before (a lost worker): its latest checkpoint comes here first,
  // heartbeating meanwhile (the last heartbeat's details kept) so a large download does not time the attempt out.
  if (deps.checkpoints) await heartbeating(deps.checkpoints.pull(checkpointDir), () => previous);
  const resumeFrom = await resumePoint(previous?.checkpoint ?? null, checkpointDir);
  const job = opts.job({ checkpointDir, resumeFrom });
  const stage = `${req.node.kind} "${req.node.id}"`;

  let progress: TrainingProgress = { step: 0, totalSteps: opts.totalSteps, loss: null, checkpoint: resumeFrom ?? null };
  const record = (name: string, points: Array<[number, number]>) => deps.lineage.recordMetrics(req.runId, req.node.id, name, points);
  let pending: Array<[number, number]> = [];
  let uploads: Promise<void> = Promise.resolve();
  const flushLoss = async () => {
    const points = pending;
    pending = [];
    if (points.length > 0) await record('train/loss', points);
  };
  // The stage log gets a progress summary about every tenth of the steps, and each checkpoint.
  const log = stageLog();
  let summarized = -1;
  const onMessage = (m: ChildMessage) => {
    if (m.type === 'progress') {
      const every = Math.max(1, Math.round(m.totalSteps / 10));
      if (Math.floor(m.step / every) !== summarized || m.step === m.totalSteps) {
        summarized = Math.floor(m.step / every);
        log?.add('info', `step ${m.step}/${m.totalSteps} loss ${m.loss.toFixed(4)}`);
      }
      progress = { ...progress, step: m.step, totalSteps: m.totalSteps, loss: m.loss };
      pending.push([m.step, m.loss]);
      heartbeat(progress);
    } else if (m.type === 'checkpoint') {
      log?.add('info', `checkpoint at step ${m.step}`);
      const sync = deps.checkpoints;
      // One upload at a time, in step order; a failed one is logged (the next checkpoint is tried anyway).
      if (sync) uploads = uploads.then(() => sync.push(m.dir)).catch((err: unknown) => deps.logger.warn({ stage: req.node.id }, `checkpoint upload failed: ${String(err)}`));
      progress = { ...progress, step: m.step, loss: m.loss, checkpoint: m.dir };
      heartbeat(progress);
      void flushLoss().catch((err: unknown) => deps.logger.warn(`recording loss points failed (retried at the end): ${String((err as Error).cause ?? err).split('\n')[0]}`));
      void deps.reportProgress(req.workflowId, req.node.id, progress).catch(() => undefined);
    } else if (m.type === 'mixture') {
      for (const [domain, w] of Object.entries(m.weights)) void record(`mixture/${domain}`, [[m.step, w]]).catch(() => undefined);
    } else if (m.type === 'metrics') {
      for (const [name, v] of Object.entries(m.values)) void record(name, [[m.step, v]]).catch(() => undefined);
    } else {
      logChildMessage(deps, req, m);
    }
  };
  if (resumeFrom) log?.add('info', `resuming from ${resumeFrom}`);
  heartbeat(progress);
  const ctxJob = {
    signal: ctx.cancellationSignal,
    onMessage,
    ...(opts.estimatedMemoryBytes !== undefined ? { estimatedMemoryBytes: opts.estimatedMemoryBytes } : {}),
  };
  let result: R;
  try {
    result = await runJob<R>(job, ctxJob);
  } catch (err) {
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure(`${stage} cancelled at step ${progress.step}`);
    throw err;
  } finally {
    await heartbeating(uploads, () => progress);
  }
  // The whole curve, idempotently: covers points lost to a failed flush and steps before a resume.
  await record('train/loss', result.lossCurve);
  return { result, checkpointDir, resumeFrom };
}

/**
 * What every trained model's artifact meta records of its run: its stage, the backend, TensorFlow version and
 * device it trained on, its steps, final loss and model config. Kinds add their own fields after these.
 */
export function trainedModelMeta(req: StageRequest, result: TrainResult): Record<string, unknown> {
  return {
    stage: req.node.id,
    backend: result.backend,
    tensorflowVersion: result.tensorflowVersion,
    device: result.device,
    steps: result.steps,
    finalLoss: result.finalLoss,
    config: req.node.context.model,
  };
}

/** The stage metrics every training kind reports: final and first loss, steps, and the step a retry resumed from (-1: none). */
export function trainingMetrics(result: TrainResult): Record<string, number> {
  return {
    final_loss: result.finalLoss,
    first_loss: result.lossCurve[0]?.[1] ?? Number.NaN,
    steps: result.steps,
    resumed_from_step: result.resumedFromStep ?? -1,
  };
}
