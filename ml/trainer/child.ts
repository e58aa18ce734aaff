/**
 * Trainer child process (forked by `ml/runner.ts`). Receives exactly one job over IPC, runs it,
 * reports {@link ChildMessage}s and exits 0. CPU-bound training lives here so the Temporal worker's
 * event loop stays free for heartbeats.
 *
 * Lifecycle:
 * - SIGTERM/SIGINT: graceful stop. A training job (the kit, ./kit.ts) finishes its current step, writes
 *   a checkpoint, sends it and exits 0 without a `done`; anything else exits 0 at once.
 * - IPC disconnect (the parent died, even by SIGKILL): exit immediately, so no orphan keeps training.
 * - Failure: sends `{ type: 'error', permanent }` (permanent for bad input) and exits 1.
 */
import { isPermanent } from '../../errors/permanent.ts';
import { runGenerate } from '../generate.ts';
import { parseJob, type ChildMessage, type Job, type JobResult, type JobType, type TrainerIO } from '../jobs.ts';
import { runDpo, runDpoReference } from './dpo.ts';
import { runEvaluate } from './evaluate.ts';
import { runPretrain } from './pretrain.ts';
import { runRlvr } from './rlvr.ts';
import { runSft } from './sft.ts';
import { runUpsample } from './upsample.ts';

/** The runner of each job type (a new kind: its schema in ml/jobs.ts, its runner here). Null: stopped before the end. */
const RUNNERS: { [T in JobType]: (job: Extract<Job, { type: T }>, io: TrainerIO) => Promise<JobResult | null> } = {
  pretrain: runPretrain,
  upsample: runUpsample,
  sft: runSft,
  dpo: runDpo,
  'dpo-reference': runDpoReference,
  rlvr: runRlvr,
  evaluate: runEvaluate,
  generate: runGenerate,
};

/** Runs a parsed job with its type's runner (the one place the job's type and its runner's are matched up). */
function dispatch<T extends JobType>(job: Extract<Job, { type: T }>, io: TrainerIO): Promise<JobResult | null> {
  const runner: (job: Extract<Job, { type: T }>, io: TrainerIO) => Promise<JobResult | null> = RUNNERS[job.type];
  return runner(job, io);
}

if (process.send === undefined) {
  console.error('ml/trainer/child.ts must be started with an IPC channel (child_process.fork)');
  process.exit(2);
}

let stopRequested = false;
let jobRunning = false;

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) {
      resolve();
      return;
    }
    // Resolve even on a send error: a vanished parent is handled by the 'disconnect' listener.
    process.send!(m, undefined, {}, () => resolve());
  });
}

function onStopSignal(): void {
  stopRequested = true;
  if (!jobRunning) process.exit(0);
}
process.on('SIGTERM', onStopSignal);
process.on('SIGINT', onStopSignal);
process.on('disconnect', () => process.exit(0));

const io: TrainerIO = { send, stopRequested: () => stopRequested };

async function run(raw: unknown): Promise<number> {
  jobRunning = true;
  try {
    const job = parseJob(raw);
    const result = await dispatch(job, io);
    if (result !== null) await send({ type: 'done', result });
    return 0;
  } catch (err) {
    if (stopRequested) return 0;
    const e = err instanceof Error ? err : new Error(String(err));
    await send({ type: 'error', message: e.message, permanent: isPermanent(e) });
    await send({ type: 'log', level: 'error', msg: e.stack ?? e.message });
    return 1;
  }
}

process.once('message', (raw: unknown) => {
  // Handled fully here: the WASM runtime rethrows unhandled rejections with its whole source in the message.
  run(raw).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
});
