/**
 * Where the native TensorFlow backend lives. `braise setup tensorflow` (ml/native/setup.ts) builds
 * `@tensorflow/tfjs-node(-gpu)` against TensorFlow's C library from PyPI and keeps everything under
 * `<home>/tools/tensorflow` (the 600 MB library, the built package); the project's `node_modules`
 * gets a small copy of the package's JavaScript and addon whose `deps` links to that library. The
 * copy must sit beside the project's `@tensorflow/tfjs-core`: its `require('@tensorflow/tfjs')`
 * then resolves to the project's tfjs and so to the one tfjs-core copy the models use.
 * Nothing here loads TensorFlow; checking an install is a few `stat`s.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';

/** The TensorFlow release whose C library the addon is built against (the PyPI wheel's version). */
export const TENSORFLOW_VERSION = '2.16.2';
/** The tfjs-node release built from source; it must match the project's tfjs-core (4.22). */
export const TFJS_NODE_VERSION = '4.22.0';

export type NativeVariant = 'cpu' | 'gpu';

export function packageName(variant: NativeVariant): string {
  return variant === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
}

/** The N-API build folder the package's own loader would look in (`binary.module_path`). */
export const ADDON_PATH = path.join('lib', 'napi-v8', 'tfjs_binding.node');

/** The name of the record the setup writes into an installed package. */
export const MARKER = 'braise-native.json';

const markerSchema = z.object({
  tensorflow: z.string(),
  tfjsNode: z.string(),
  variant: z.enum(['cpu', 'gpu']),
  nodeAbi: z.string(),
  /** The staged library directory `deps` links to (lib/, include/, and nvidia/ for the GPU build). */
  libDir: z.string(),
});
export type NativeMarker = z.infer<typeof markerSchema>;

/** The key of a build: one per TensorFlow, tfjs-node, variant and Node ABI. */
export function buildKey(variant: NativeVariant): string {
  return `tfjs-node-${TFJS_NODE_VERSION}-tf${TENSORFLOW_VERSION}-${variant}-node${process.versions.modules}`;
}

/** `node_modules/@tensorflow` of the project: the directory holding the tfjs-core copy Braise uses. */
export function tensorflowScopeDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(path.dirname(require.resolve('@tensorflow/tfjs-core/package.json')));
}

/** Where the package of `variant` is (or would be) installed in the project. */
export function installedPackageDir(variant: NativeVariant): string {
  return path.join(tensorflowScopeDir(), packageName(variant).split('/')[1]!);
}

/**
 * The installed package of `variant` when it is complete and built for this TensorFlow, tfjs-node and
 * Node ABI (its record matches, its addon exists, the library it links to is there); null otherwise.
 */
export function installedNative(variant: NativeVariant, dir = installedPackageDir(variant)): { dir: string; marker: NativeMarker } | null {
  try {
    const marker = markerSchema.parse(JSON.parse(readFileSync(path.join(dir, MARKER), 'utf8')));
    const current =
      marker.tensorflow === TENSORFLOW_VERSION && marker.tfjsNode === TFJS_NODE_VERSION && marker.variant === variant && marker.nodeAbi === process.versions.modules;
    if (!current || !existsSync(path.join(dir, ADDON_PATH)) || !existsSync(path.join(dir, 'deps', 'lib', 'libtensorflow_cc.so.2'))) return null;
    return { dir, marker };
  } catch {
    return null;
  }
}

/**
 * The CUDA library folders of a GPU build (`deps/nvidia/<part>/lib`, from the nvidia-* wheels), which
 * TensorFlow opens by name at start-up: a trainer process needs them on LD_LIBRARY_PATH.
 */
export function cudaLibraryDirs(dir: string): string[] {
  const root = path.join(dir, 'deps', 'nvidia');
  try {
    return readdirSync(root)
      .map((part) => path.join(root, part, 'lib'))
      .filter((d) => existsSync(d))
      .sort();
  } catch {
    return [];
  }
}

/** LD_LIBRARY_PATH for a process that loads the package in `dir`: its CUDA libraries first; empty for a CPU build. */
export function cudaEnv(dir: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const dirs = cudaLibraryDirs(dir);
  if (dirs.length === 0) return {};
  return { LD_LIBRARY_PATH: [...dirs, ...(env.LD_LIBRARY_PATH ? [env.LD_LIBRARY_PATH] : [])].join(':') };
}

/** Whether this machine shows an NVIDIA driver (cheap: no library is loaded). */
export function nvidiaDriverPresent(): boolean {
  return existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidia0');
}
