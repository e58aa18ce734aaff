/**
 * PGlite's WebAssembly (9 MB) and file-system bundle, loaded once per process
 * and as early as the process likes: the CLI starts this before it imports a
 * command's modules, so the module compiles on V8's background threads while
 * the main thread loads JavaScript, and opening the lineage database later
 * only instantiates it (nothing here touches the data directory).
 *
 * The module runs on V8's baseline compiler only (Liftoff, `--liftoff-only`).
 * With V8's default dynamic tiering, the queries of the first seconds recompile
 * Postgres' hot functions with TurboFan: measured on 2 cores, a PGlite open and
 * 600 lineage queries cost 2.0 s of CPU that way against 0.85 s on Liftoff,
 * each query of the first hundreds took 1.5–4 ms instead of 0.4–0.9 ms, and
 * even after 600 queries the optimized code was no faster. The flag is read
 * whenever a function is first compiled (lazily, long after this module's
 * compile), so it stays set for the process; nothing else in a Braise process
 * that opens PGlite runs WebAssembly (tfjs runs in the trainer child, which has
 * its own flags). A V8 tiering flag given on the command line or in
 * NODE_OPTIONS is left alone.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';

// Node's WebAssembly global; TypeScript's ES libs lack it (@types/emscripten, which PGlite's types pull in, declares
// only the Module type).
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace WebAssembly {
    function compile(bytes: Uint8Array): Promise<Module>;
  }
}

export interface PgliteAssets {
  /** For PGlite's `pgliteWasmModule`. */
  wasmModule: WebAssembly.Module;
  /** For PGlite's `fsBundle`. */
  fsBundle: Blob;
}

let loading: Promise<PgliteAssets> | null = null;

/** The compiled module and the bundle, started on the first call and shared by every later one. */
export function pgliteAssets(): Promise<PgliteAssets> {
  if (!loading) {
    loading = load();
    // A failed load is retried by the next caller (and reported to this one).
    loading.catch(() => (loading = null));
  }
  return loading;
}

async function load(): Promise<PgliteAssets> {
  baselineCompilerOnly();
  const require = createRequire(import.meta.url);
  const [wasm, data] = await Promise.all([
    readFile(require.resolve('@electric-sql/pglite/pglite.wasm')),
    readFile(require.resolve('@electric-sql/pglite/pglite.data')),
  ]);
  return { wasmModule: await WebAssembly.compile(wasm), fsBundle: new Blob([data]) };
}

const TIERING_FLAG = /--(no-)?(liftoff|wasm-tier|wasm-dynamic-tiering|wasm-lazy)/;

function baselineCompilerOnly(): void {
  if ([...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => TIERING_FLAG.test(a))) return;
  setFlagsFromString('--liftoff-only');
}
