/**
 * Trainer child process (forked by `ml/runner.ts`). Receives exactly one job over IPC, runs it,
 * reports {@link ChildMessage}s and exits 0. CPU-bound training lives here so the Temporal worker's
 * event loop stays free for heartbeats.
 *
 * Lifecycle:
 * - SIGTERM/SIGINT: graceful stop. A pretrain job finishes its current step, writes a checkpoint,
 *   sends it and exits 0 without a `done`; anything else exits 0 at once.
 * - IPC disconnect (the parent died, even by SIGKILL): exit immediately, so no orphan keeps training.
 * - Failure: sends `{ type: 'error', permanent }` (permanent for bad input) and exits 1.
 */
import { isPermanent } from '../../errors/permanent.ts';
import { runGenerate } from '../generate.ts';
import { parseJob } from '../job-schema.ts';
import type { ChildMessage, TrainerIO } from '../jobs.ts';
import { runEvaluate } from './evaluate.ts';
import { runPretrain } from './pretrain.ts';

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
    const result =
      job.type === 'pretrain' ? await runPretrain(job, io) : job.type === 'generate' ? await runGenerate(job, io) : await runEvaluate(job, io);
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
