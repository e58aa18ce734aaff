import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { initWasmBackend } from './wasm-threads.ts';
import { z } from 'zod';
import { installedNative, nvidiaDriverPresent, type NativeVariant } from './native/layout.ts';
import { LOADER } from './native/loader-name.ts';

/** What a caller may ask for; `tensorflow` means the native tfjs-node(-gpu) bindings. */
export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

const PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** Threads a backend may use: `BRAISE_THREADS`, else every core this process may run on. */
export function threadCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['BRAISE_THREADS'];
  if (raw === undefined || raw === '') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new Error(`BRAISE_THREADS: expected a whole number of threads from 1 to 1024, got '${raw}'`);
  return n;
}

/** What a model artifact records about where it was computed. */
export interface BackendInfo {
  /** `tensorflow` (native), `wasm` or `cpu`. */
  backend: string;
  /** The TensorFlow C library's version on the native backend; null on the others. */
  tensorflowVersion: string | null;
  device: 'cpu' | 'gpu';
  threads: number;
}

/** The current backend (call after {@link selectBackend}). */
export function backendInfo(): BackendInfo {
  const backend = tf.getBackend();
  const onNative = backend === 'tensorflow' && native !== null;
  return {
    backend,
    tensorflowVersion: onNative ? native!.tensorflowVersion : null,
    device: onNative && native!.gpu() ? 'gpu' : 'cpu',
    threads: threadCount(),
  };
}

/** The native build loaded in this process, if any. */
let native: { tensorflowVersion: string; gpu: () => boolean } | null = null;

const fn = z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', 'expected a function');
const loaderSchema = z.object({ load: fn });
const loadedSchema = z.object({ tensorflowVersion: z.string(), gpu: fn });
/** Why an installed native build did not load, for the error a forced `tensorflow` preference throws. */
let nativeError: string | null = null;

/**
 * Loads an installed `@tensorflow/tfjs-node(-gpu)` (see ml/native/layout.ts) through the loader the setup
 * wrote into it, which registers the `tensorflow` backend on this process's tfjs-core.
 */
function loadNative(variant: NativeVariant): boolean {
  const installed = installedNative(variant);
  if (installed === null) return false;
  // Read by TensorFlow when it starts: quiet its C++ info lines, and size its thread pools.
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
  process.env['TF_NUM_INTRAOP_THREADS'] ??= String(threadCount());
  process.env['TF_NUM_INTEROP_THREADS'] ??= String(threadCount());
  const require = createRequire(path.join(installed.dir, 'package.json'));
  const loaded = loadedSchema.parse(loaderSchema.parse(require(`./${LOADER}`)).load());
  native = { tensorflowVersion: loaded.tensorflowVersion, gpu: () => loaded.gpu() === true };
  return true;
}

async function tryTensorflow(): Promise<boolean> {
  // The GPU build where a GPU driver is present (it also registers 'tensorflow'), else the CPU build.
  const variants: NativeVariant[] = nvidiaDriverPresent() ? ['gpu', 'cpu'] : ['cpu'];
  for (const variant of variants) {
    try {
      if (native === null && !loadNative(variant)) continue;
      return await tf.setBackend('tensorflow');
    } catch (err) {
      nativeError = `${variant} build: ${(err as Error).message}`;
    }
  }
  return false;
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    // In Node the .wasm files are read with fs, so a plain directory path (trailing slash required) works.
    wasm.setWasmPaths(path.join(pkgDir, 'dist') + path.sep);
    // More than one thread runs the threaded build, which ml/wasm-threads.ts makes start in Node.
    const threads = threadCount();
    wasm.setThreadsCount(threads);
    return await initWasmBackend(threads, () => tf.setBackend('wasm'));
  } catch {
    return false;
  }
}

async function tryCpu(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-backend-cpu');
    return await tf.setBackend('cpu');
  } catch {
    return false;
  }
}

const ATTEMPTS: Record<Exclude<BackendPreference, 'auto'>, () => Promise<boolean>> = {
  tensorflow: tryTensorflow,
  wasm: tryWasm,
  cpu: tryCpu,
};

/**
 * Chooses and initialises the TensorFlow.js backend for this process and returns its name
 * (`tensorflow`, `wasm` or `cpu`), which callers record on every model they write.
 *
 * `auto` tries, in order, `@tensorflow/tfjs-node-gpu` (where a GPU driver is present), `@tensorflow/tfjs-node`
 * (both as installed by `braise setup tensorflow`), the WASM backend, then plain JS. Any other preference tries only that backend and throws when it
 * cannot be initialised. The `BRAISE_TF_BACKEND` environment variable, when set, overrides `pref`.
 * Call it before creating any tensor: tensors belong to the backend that was active when they were made.
 */
export async function selectBackend(pref: BackendPreference = 'auto'): Promise<string> {
  const forced = process.env['BRAISE_TF_BACKEND'];
  if (forced !== undefined && forced !== '') {
    if (!(PREFERENCES as readonly string[]).includes(forced)) {
      throw new Error(`BRAISE_TF_BACKEND: expected one of ${PREFERENCES.join(', ')}, got '${forced}'`);
    }
    pref = forced as BackendPreference;
  }
  const order: Array<Exclude<BackendPreference, 'auto'>> =
    pref === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [pref];
  for (const name of order) {
    if (await ATTEMPTS[name]()) {
      await tf.ready();
      return tf.getBackend();
    }
  }
  if (pref === 'tensorflow') {
    throw new Error(
      nativeError !== null
        ? `backend 'tensorflow' could not be initialised: ${nativeError} (rebuild with: braise setup tensorflow)`
        : "backend 'tensorflow' could not be initialised: the native TensorFlow backend is not set up for this project (run: braise setup tensorflow)",
    );
  }
  throw new Error(`backend '${pref}' could not be initialised (tried ${order.join(', ')})`);
}
