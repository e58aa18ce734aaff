/**
 * The trainer child-process lifecycle: training runs in a forked process so the worker's event loop
 * stays free for heartbeats, and this module makes sure no trainer outlives its job (abort, parent
 * exit) and that the way a trainer ended is reported truthfully: a result, bad input (permanent), a
 * deliberate stop by us, out of memory (permanent: the same job needs the same memory), or a crash
 * (transient, retried).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { freemem, totalmem } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PermanentError } from '../errors/permanent.ts';
import { JobInputError } from './errors.ts';
import type { ChildMessage, JobInput } from './jobs.ts';
import { cudaEnv, installedNative } from './native/layout.ts';

/** A trainer job that failed for a reason retrying may fix (a crash, a child that could not start). */
export class TrainerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainerError';
  }
}

/**
 * The trainer ran out of memory: the kernel killed it (a SIGKILL Braise did not send), V8 hit its heap
 * limit, or an allocation failed. Permanent: retrying the same job on the same worker needs the same
 * memory again.
 */
export class TrainerOutOfMemoryError extends PermanentError {
  constructor(message: string) {
    super(message);
    this.name = 'TrainerOutOfMemoryError';
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
  /** The stage's estimated memory need, quoted when the trainer runs out of memory. */
  estimatedMemoryBytes?: number;
  /** V8 heap limit of the child (`--max-old-space-size`), in MiB; default Node's own. */
  heapLimitMb?: number;
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

/** LD_LIBRARY_PATH for a trainer when the GPU build of the native backend is installed; empty otherwise. */
function cudaChildEnv(): Record<string, string> {
  const gpu = installedNative('gpu');
  return gpu ? cudaEnv(gpu.dir) : {};
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

/** Messages of a process that ran out of memory: V8's fatal heap error (on stderr), WASM and allocation failures. */
const HEAP_OOM = /JavaScript heap out of memory|Reached heap limit|process out of memory/;
const OOM_MESSAGE = /out of memory|Cannot enlarge memory|Array buffer allocation failed|Maximum memory size exceeded|Aborted\(OOM\)|Invalid typed array length|Invalid array length/i;

/** `3.0 GiB`: memory for people (ml/ keeps its own: it imports nothing above errors/). */
const gib = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GiB`;

function outOfMemory(how: string, estimate: number | undefined): TrainerOutOfMemoryError {
  const need = estimate !== undefined ? `this stage needs about ${gib(estimate)} by estimate; ` : '';
  return new TrainerOutOfMemoryError(
    `trainer out of memory: ${how}. ${need}this machine has ${gib(totalmem())} (${gib(freemem())} free now). ` +
      'Use a smaller model (layers, dModel, context) or batchSize, or run the stage on a worker with more memory; retrying as is would fail the same way',
  );
}

/**
 * Runs one job in a forked trainer process (`ml/trainer/child.ts` under tsx) and resolves with the
 * result of its `done` message. Rejects with a {@link JobInputError} (permanent) when the child reports
 * bad input, with a {@link TrainerOutOfMemoryError} (permanent) when it ran out of memory, with a
 * {@link TrainerError} when it reports another error or exits without a result, and with an
 * `AbortError` when `signal` aborts. Settles only after the child has exited, so no trainer outlives
 * the promise.
 */
export function runJob<R>(job: JobInput, opts: RunJobOptions = {}): Promise<R> {
  return runChild<R>(CHILD_ENTRY, job, opts);
}

/** {@link runJob} with another child module: the lifecycle alone, for tests with stand-in children. */
export function runChild<R>(entry: string, job: JobInput, opts: RunJobOptions = {}): Promise<R> {
  const { signal, onMessage } = opts;
  if (signal?.aborted === true) return Promise.reject(abortError(signal));
  return new Promise<R>((resolve, reject) => {
    const child = fork(entry, [], {
      execArgv: ['--import', tsxLoader(), ...(opts.heapLimitMb !== undefined ? [`--max-old-space-size=${opts.heapLimitMb}`] : [])],
      // A GPU build of the native backend opens its CUDA libraries (from the nvidia-* wheels) by name.
      env: { ...process.env, ...cudaChildEnv(), ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    live.add(child);
    let result: { value: R } | null = null;
    let failure: TrainerError | JobInputError | TrainerOutOfMemoryError | null = null;
    let aborted = false;
    // A SIGKILL we sent is ours; any other is the kernel's (out of memory) or someone else's.
    let killedByUs = false;
    let heapOom = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stderrTail: string[] = [];
    let stderrRecent = '';
    const kill = (sig: 'SIGTERM' | 'SIGKILL'): void => {
      if (sig === 'SIGKILL') killedByUs = true;
      child.kill(sig);
    };

    const deliver = (m: ChildMessage): void => {
      try {
        onMessage?.(m);
      } catch {
        // A listener's bug must not break the job's bookkeeping.
      }
    };
    const forwardLines = (level: 'info' | 'warn') => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (level === 'warn') {
        // Matched on a rolling window, so a message split across chunks is still seen.
        stderrRecent = (stderrRecent + text).slice(-4096);
        if (HEAP_OOM.test(stderrRecent)) heapOom = true;
      }
      for (const line of text.split('\n')) {
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
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), KILL_AFTER_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (m: unknown) => {
      if (!isChildMessage(m)) return;
      if (m.type === 'done') {
        result = { value: m.result as R };
        // The child exits right after 'done'; make sure it does.
        killTimer ??= setTimeout(() => kill('SIGKILL'), KILL_AFTER_MS);
      } else if (m.type === 'error') {
        failure = OOM_MESSAGE.test(m.message)
          ? outOfMemory(`an allocation failed (${m.message.split('\n')[0]!.slice(0, 200)})`, opts.estimatedMemoryBytes)
          : m.permanent ? new JobInputError(m.message) : new TrainerError(m.message);
      }
      deliver(m);
    });

    child.on('error', (err) => {
      // Only a failed spawn needs handling here (no 'close' result to wait for); other errors precede 'close'.
      if (child.pid !== undefined) return;
      live.delete(child);
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      reject(new TrainerError(`could not start trainer: ${err.message}`));
    });

    // 'close', not 'exit': by then stderr is drained, so V8's dying words have been seen.
    child.on('close', (code, sig) => {
      live.delete(child);
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      if (aborted && signal !== undefined) reject(abortError(signal));
      else if (result !== null) resolve(result.value);
      else if (failure !== null) reject(failure);
      else if (heapOom) reject(outOfMemory(`its JavaScript heap reached its limit (${sig !== null ? `signal ${sig}` : `code ${code}`}, "JavaScript heap out of memory")`, opts.estimatedMemoryBytes));
      else if (sig === 'SIGKILL' && !killedByUs) reject(outOfMemory('the process was killed by SIGKILL, which Braise did not send: the kernel kills the largest process when memory runs out', opts.estimatedMemoryBytes));
      else {
        const how = sig !== null ? `signal ${sig}${killedByUs ? ' (sent by Braise)' : ''}` : `code ${code}`;
        const tail = stderrTail.length > 0 ? `: ${stderrTail.slice(-5).join(' | ')}` : '';
        reject(new TrainerError(`trainer exited with ${how} without a result${tail}`));
      }
    });

    // A failed send shows up as the child exiting without a result.
    child.send(job, (err) => {
      if (err !== null) kill('SIGKILL');
    });
  });
}
