import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { initWasmBackend } from './wasm-threads.ts';

/** What a caller may ask for; `tensorflow` means the native tfjs-node(-gpu) bindings. */
export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

const PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** Loads a package that may not be installed; the specifier is a variable so bundlers and tsc leave it alone. */
async function optionalImport(specifier: string): Promise<boolean> {
  try {
    await import(specifier);
    return true;
  } catch {
    return false;
  }
}

async function tryTensorflow(): Promise<boolean> {
  // GPU first: on a GPU worker both may be installed and the GPU build also registers 'tensorflow'.
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      if ((await optionalImport(pkg)) && (await tf.setBackend('tensorflow'))) return true;
    } catch {
      // A native build that loads but registers against another tfjs-core copy ends up here.
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
    const threads = Math.min(2, availableParallelism());
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
 * `auto` tries, in order, `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node` (both optional),
 * the WASM backend, then plain JS. Any other preference tries only that backend and throws when it
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
  throw new Error(`backend '${pref}' could not be initialised (tried ${order.join(', ')})`);
}
