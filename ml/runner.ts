import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JobInputError } from './errors.ts';
import type { ChildMessage, Job } from './jobs.ts';

/** A trainer job that failed for a reason retrying may fix (a crash, a child that could not start). */
export class TrainerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainerError';
  }
}

/** Options of {@link runJob}. */
export interface RunJobOptions {
  /** Aborting SIGTERMs the child (it checkpoints and exits), SIGKILLs it after {@link KILL_AFTER_MS}. */
  signal?: AbortSignal;
  /** Every message from the child, in order (progress, checkpoints, logs, stderr lines as 'warn' logs). */
  onMessage?: (m: ChildMessage) => void;
  /** Extra environment for the child (e.g. `BRAISE_TF_BACKEND`). */
  env?: Record<string, string>;
}

/** Grace period between SIGTERM and SIGKILL on abort. */
export const KILL_AFTER_MS = 5_000;

const CHILD_ENTRY = fileURLToPath(new URL('./trainer/child.ts', import.meta.url));

/**
 * The tsx ESM loader as an absolute file URL: `--import tsx` would resolve from the child's cwd,
 * and the parent's own execArgv differs between tsx, vitest and plain node.
 */
function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

const live = new Set<ChildProcess>();

/** Pids of trainer children this process started that have not exited yet. */
export function trainerPids(): number[] {
  return [...live].map((c) => c.pid).filter((p): p is number => p !== undefined);
}

// If this process exits with children still running (normally impossible: runJob settles only on the
// child's exit), take them along rather than leave orphans behind.
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

function abortError(signal: AbortSignal): Error {
  const err = new Error('trainer job aborted', { cause: signal.reason });
  err.name = 'AbortError';
  return err;
}

function isChildMessage(m: unknown): m is ChildMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

/**
 * Runs one job in a forked trainer process (`ml/trainer/child.ts` under tsx) and resolves with the
 * result of its `done` message. Rejects with a {@link JobInputError} (permanent) when the child reports
 * bad input, with a {@link TrainerError} when it reports another error or exits without a result, and
 * with an `AbortError` when `signal` aborts. Settles only after the child has exited, so no trainer
 * outlives the promise.
 */
export function runJob<R>(job: Job, opts: RunJobOptions = {}): Promise<R> {
  const { signal, onMessage } = opts;
  if (signal?.aborted === true) return Promise.reject(abortError(signal));
  return new Promise<R>((resolve, reject) => {
    const child = fork(CHILD_ENTRY, [], {
      execArgv: ['--import', tsxLoader()],
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    live.add(child);
    let result: { value: R } | null = null;
    let failure: TrainerError | JobInputError | null = null;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stderrTail: string[] = [];

    const deliver = (m: ChildMessage): void => {
      try {
        onMessage?.(m);
      } catch {
        // A listener's bug must not break the job's bookkeeping.
      }
    };
    const forwardLines = (level: 'info' | 'warn') => (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        // The WASM runtime prints its whole minified source with some errors; keep lines short.
        const msg = line.length > 500 ? `${line.slice(0, 500)}…` : line;
        if (level === 'warn') {
          stderrTail.push(msg);
          if (stderrTail.length > 20) stderrTail.shift();
        }
        deliver({ type: 'log', level, msg });
      }
    };
    child.stdout?.on('data', forwardLines('info'));
    child.stderr?.on('data', forwardLines('warn'));

    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (m: unknown) => {
      if (!isChildMessage(m)) return;
      if (m.type === 'done') {
        result = { value: m.result as R };
        // The child exits right after 'done'; make sure it does.
        killTimer ??= setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      } else if (m.type === 'error') {
        failure = m.permanent ? new JobInputError(m.message) : new TrainerError(m.message);
      }
      deliver(m);
    });

    child.on('error', (err) => {
      // Only a failed spawn needs handling here ('exit' never follows it); other errors precede 'exit'.
      if (child.pid !== undefined) return;
      live.delete(child);
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      reject(new TrainerError(`could not start trainer: ${err.message}`));
    });

    child.on('exit', (code, sig) => {
      live.delete(child);
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      if (aborted && signal !== undefined) reject(abortError(signal));
      else if (result !== null) resolve(result.value);
      else if (failure !== null) reject(failure);
      else {
        const how = sig !== null ? `signal ${sig}` : `code ${code}`;
        const tail = stderrTail.length > 0 ? `: ${stderrTail.slice(-5).join(' | ')}` : '';
        reject(new TrainerError(`trainer exited with ${how} without a result${tail}`));
      }
    });

    // A failed send shows up as the child exiting without a result.
    child.send(job, (err) => {
      if (err !== null) child.kill('SIGKILL');
    });
  });
}
