/**
 * The threaded (SIMD + pthreads) build of tfjs-backend-wasm, in Node.
 *
 * tfjs switches it off in Node (flag `WASM_HAS_MULTITHREAD_SUPPORT` is false there, tfjs#3830), and
 * turning the flag on alone fails three ways, each worked around here:
 * 1. Emscripten starts its pthread workers with `new Worker(locateFile('…worker.js'))`, which tfjs
 *    answers with a `blob:` URL; Node's worker_threads refuses those (ERR_WORKER_PATH). The global
 *    `Worker` the factory uses is replaced, for this process, by a worker_threads subclass that runs
 *    the package's own worker source (`wasm-out/…threaded-simd.worker.js`) with `eval: true`.
 * 2. The worker is then told to import the main script from a Blob (`mainScriptUrlOrBlob`), which it
 *    cannot read synchronously in Node; the subclass hands it the package's file of the same script,
 *    `wasm-out/tfjs-backend-wasm-threaded-simd.js`, instead.
 * 3. The backend caps its thread pool at os.cpus().length / 2 (it assumes two hyper-threads per
 *    core), one thread on a 2-core worker; os.cpus is reported doubled while the module starts, so
 *    the pool gets the `threads` asked for (at most 8, the workers the build pre-starts).
 * If the threaded build fails, or its start does not settle within {@link THREADED_INIT_TIMEOUT_MS},
 * the caller's init runs again on the single-threaded build (a start that blocks the main thread
 * outright, as an inherited tsx loader in the workers once did, cannot be caught this way). Numbers: XNNPACK splits a matmul's output tiles
 * between threads without changing any element's summation order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker as NodeWorker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** How long the threaded build may take to start before the single-threaded one is used instead. */
export const THREADED_INIT_TIMEOUT_MS = 30_000;

/** The package's files for the threaded build's pthread workers. */
function threadedFiles(): { workerSource: string; mainScript: string } {
  const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const mod: unknown = require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js'));
  const source = typeof mod === 'object' && mod !== null && 'wasmWorkerContents' in mod ? mod.wasmWorkerContents : undefined;
  if (typeof source !== 'string') throw new Error('tfjs-backend-wasm: threaded-simd.worker.js has no wasmWorkerContents');
  // The source holds "\n" escapes that its template literal turned into newlines inside strings (tfjs does the same).
  return { workerSource: source.replace(/\n/g, '\\n'), mainScript: path.join(dir, 'tfjs-backend-wasm-threaded-simd.js') };
}

let installed = false;
/** Every pthread worker started; once the backend is up they are unref'd, so they never keep Node alive. */
const workers = new Set<NodeWorker>();
let started = false;

/** Makes the global `Worker` one that Emscripten's pthread code can start in Node (points 1 and 2 above). */
function installWorkerShim(): void {
  if (installed) return;
  const { workerSource, mainScript } = threadedFiles();
  class PthreadWorker extends NodeWorker {
    constructor() {
      // No execArgv: a tsx loader inherited from the parent would load into every worker (and hang the eval'd source).
      super(workerSource, { eval: true, execArgv: [] });
      workers.add(this);
      // While the module starts, its promise waits on these workers' messages: they must hold the event loop.
      if (started) this.unref();
    }
    override postMessage(message: unknown, transfer?: Parameters<NodeWorker['postMessage']>[1]): void {
      const m = message as { cmd?: unknown; urlOrBlob?: unknown } | null;
      if (m !== null && typeof m === 'object' && m.cmd === 'load' && typeof m.urlOrBlob !== 'string') message = { ...m, urlOrBlob: mainScript };
      super.postMessage(message, transfer);
    }
  }
  // The Emscripten factory assigns worker_threads.Worker to the global when it runs; that write is ignored.
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => {} });
  installed = true;
}

/**
 * Runs `init` (which must initialise the WASM backend, e.g. `tf.setBackend('wasm')`) on the threaded
 * build with `threads` threads when `threads > 1`, else on the single-threaded build. Returns what
 * `init` returned; falls back to the single-threaded build when the threaded one fails or hangs.
 */
export async function initWasmBackend(threads: number, init: () => Promise<boolean>): Promise<boolean> {
  if (threads <= 1) return init();
  const cpus = os.cpus;
  try {
    installWorkerShim();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    os.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]!);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), THREADED_INIT_TIMEOUT_MS);
    });
    const ok = await Promise.race([init().catch(() => false), timeout]).finally(() => clearTimeout(timer));
    if (ok) {
      started = true;
      for (const w of workers) w.unref();
      return true;
    }
  } catch {
    // Fall through to the single-threaded build.
  } finally {
    os.cpus = cpus;
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  return init();
}
