/**
 * `braise setup tensorflow [--gpu]`, also run on first use: builds `@tensorflow/tfjs-node(-gpu)`
 * against TensorFlow's C library taken from the PyPI wheel (tfjs-node's own installer downloads it
 * from a host outside the registries). Steps, each named in the error when it fails:
 *   1. download: `pip download` the pinned wheel(s) (tensorflow-cpu; or tensorflow + the nvidia-* CUDA
 *      wheels its `and-cuda` extra names) into `<tools>/tensorflow/wheels`;
 *   2. extract: the C library, its C headers (and the CUDA libraries) into
 *      `<tools>/tensorflow/libtensorflow-<tf>-<variant>`, then delete the wheels;
 *   3. fetch: `npm pack` the tfjs-node release from the npm registry;
 *   4. build: its addon with node-gyp against that library, kept in `<tools>/tensorflow/<build key>`;
 *   5. install: a copy of the package's JavaScript and addon into the project's node_modules (its
 *      `deps` links to the staged library), so an `npm ci` costs a copy, not a download;
 *   6. smoke: a child process loads it and multiplies two matrices.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import {
  ADDON_PATH, MARKER, TENSORFLOW_VERSION, TFJS_NODE_VERSION, buildKey, cudaEnv, installedNative, installedPackageDir, nvidiaDriverPresent, packageName,
  type NativeMarker, type NativeVariant,
} from './layout.ts';
import { LOADER } from './loader-name.ts';

const run = promisify(execFile);

/** A setup step failed; `step` names it (download, extract, fetch, build, install, smoke). */
export class NativeSetupError extends Error {
  constructor(
    readonly step: string,
    detail: string,
  ) {
    super(`native TensorFlow setup failed at ${step}: ${detail}`);
    this.name = 'NativeSetupError';
  }
}

export interface SetupOptions {
  /** `<home>/tools`. */
  toolsDir: string;
  variant: NativeVariant;
  /** Progress lines for humans. */
  log?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
  /** The python that runs pip (default `python3`). */
  python?: string;
  /** Where the package is installed (default: beside the project's tfjs-core); tests point it elsewhere. */
  packageDir?: (variant: NativeVariant) => string;
}

export interface SetupResult {
  dir: string;
  tensorflowVersion: string;
  device: 'cpu' | 'gpu';
  /** What had to be done: a full build, a copy of a cached build into node_modules, or nothing. */
  did: 'built' | 'installed' | 'nothing';
  seconds: number;
}

const smokeSchema = z.object({ tensorflow: z.string(), gpu: z.boolean(), product: z.array(z.number()) });

/** Wheels are for CPython 3.11 on manylinux x86-64 whatever python runs pip (only files are taken from them). */
const PIP_TARGET = [
  '--no-deps', '--only-binary=:all:', '--python-version', '3.11', '--implementation', 'cp',
  ...['manylinux2014_x86_64', 'manylinux_2_17_x86_64', 'manylinux_2_27_x86_64', 'manylinux_2_28_x86_64', 'manylinux2010_x86_64', 'manylinux1_x86_64'].flatMap((p) => ['--platform', p]),
];

function libDirFor(toolsDir: string, variant: NativeVariant): string {
  return path.join(toolsDir, 'tensorflow', `libtensorflow-${TENSORFLOW_VERSION}-${variant}`);
}

async function step<T>(name: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof NativeSetupError) throw err;
    const e = err as Error & { stderr?: string; code?: string };
    // The informative lines: npm's and pip's first error lines, without their boilerplate.
    const lines = (e.stderr ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.replace(/^npm error\s*/, '') !== '' && !/complete log of this run|behind a proxy/.test(l));
    // A Node child's stack trace starts with the source line that threw; its `Error: …` line says why.
    const errorLine = lines.find((l) => /^\w*error:? /i.test(l));
    const stderr = (errorLine !== undefined ? [errorLine] : lines.slice(0, 3)).join(' | ');
    throw new NativeSetupError(name, (e.code === 'ENOENT' ? `${e.message} (is it installed?)` : stderr || e.message).replace(/\s*\n\s*/g, ' ').trim());
  }
}

/**
 * Runs the setup of `variant` as far as needed: nothing when the project already has a current build,
 * a copy when `<tools>` has one, the whole build otherwise; then the smoke test. Throws a {@link NativeSetupError}.
 */
export async function setupTensorflow(o: SetupOptions): Promise<SetupResult> {
  const started = performance.now();
  const env = o.env ?? process.env;
  const log = o.log ?? (() => {});
  const done = (dir: string, did: SetupResult['did'], s: { tensorflow: string; gpu: boolean }): SetupResult => ({
    dir, did, tensorflowVersion: s.tensorflow, device: s.gpu ? 'gpu' : 'cpu', seconds: (performance.now() - started) / 1000,
  });
  const packageDir = (o.packageDir ?? installedPackageDir)(o.variant);
  const existing = installedNative(o.variant, packageDir);
  if (existing) return done(existing.dir, 'nothing', await step('smoke', () => smokeTest(existing.dir, env)));
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new NativeSetupError('download', `the PyPI TensorFlow C library is used on linux x64 only (this is ${process.platform} ${process.arch})`);
  }
  const libDir = libDirFor(o.toolsDir, o.variant);
  const buildDir = path.join(o.toolsDir, 'tensorflow', buildKey(o.variant));
  let did: SetupResult['did'] = 'installed';
  if (!existsSync(path.join(buildDir, MARKER))) {
    did = 'built';
    if (!existsSync(path.join(libDir, 'lib', 'libtensorflow_cc.so.2'))) await stageLibrary(o, libDir, env, log);
    await buildAddon(o, libDir, buildDir, env, log);
  }
  const dir = await step('install', () => installIntoProject(o.variant, buildDir, libDir, packageDir));
  const smoke = await step('smoke', () => smokeTest(dir, env));
  if (o.variant === 'gpu' && !smoke.gpu) {
    log(`native TensorFlow (GPU build) loaded, but TensorFlow sees no GPU: it runs on the CPU`);
  }
  return done(dir, did, smoke);
}

async function stageLibrary(o: SetupOptions, libDir: string, env: NodeJS.ProcessEnv, log: (m: string) => void): Promise<void> {
  const python = o.python ?? 'python3';
  const wheels = path.join(o.toolsDir, 'tensorflow', 'wheels');
  await mkdir(wheels, { recursive: true });
  const findLinks = env.BRAISE_TF_WHEELS ? ['--find-links', env.BRAISE_TF_WHEELS] : [];
  const pip = (reqs: string[]) =>
    run(python, ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', ...PIP_TARGET, ...findLinks, '--dest', wheels, ...reqs], {
      timeout: 1_800_000, maxBuffer: 16 << 20, env,
    });
  const tfWheel = o.variant === 'gpu' ? `tensorflow==${TENSORFLOW_VERSION}` : `tensorflow-cpu==${TENSORFLOW_VERSION}`;
  log(`  downloading ${tfWheel}${o.variant === 'gpu' ? ' and its CUDA 12 wheels' : ''} from PyPI into ${wheels}`);
  await step('download', () => pip([tfWheel]));
  const tfFile = await step('download', async () => findWheel(wheels, o.variant === 'gpu' ? 'tensorflow-' : 'tensorflow_cpu-'));
  if (o.variant === 'gpu') {
    const cudaReqs = await step('download', () => cudaRequirements(python, path.join(wheels, tfFile), env));
    await step('download', () => pip(cudaReqs));
  }
  await step('extract', async () => {
    const tmp = `${libDir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const files = (await readdir(wheels)).filter((f) => f.endsWith('.whl')).map((f) => path.join(wheels, f));
    await run(python, ['-c', EXTRACT_PY, tmp, ...files], { timeout: 900_000, maxBuffer: 16 << 20, env });
    // The addon links with -ltensorflow -ltensorflow_framework; the wheel's library is libtensorflow_cc.
    await symlink('libtensorflow_cc.so.2', path.join(tmp, 'lib', 'libtensorflow.so'));
    await symlink('libtensorflow_framework.so.2', path.join(tmp, 'lib', 'libtensorflow_framework.so'));
    await rm(libDir, { recursive: true, force: true });
    await rename(tmp, libDir);
    await rm(wheels, { recursive: true, force: true });
  });
}

async function findWheel(dir: string, prefix: string): Promise<string> {
  const f = (await readdir(dir)).find((n) => n.startsWith(prefix) && n.includes(TENSORFLOW_VERSION) && n.endsWith('.whl'));
  if (f === undefined) throw new Error(`no ${prefix}${TENSORFLOW_VERSION} wheel in ${dir} after pip download`);
  return f;
}

/** The requirements the TensorFlow wheel's `and-cuda` extra names (the nvidia-* CUDA 12 wheels), read from its METADATA. */
async function cudaRequirements(python: string, wheel: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const { stdout } = await run(python, ['-c', CUDA_REQS_PY, wheel], { env, maxBuffer: 1 << 20 });
  const reqs = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (reqs.length === 0) throw new Error(`${path.basename(wheel)} names no 'and-cuda' requirements`);
  return reqs;
}

/** `python -c EXTRACT_PY <dest> <wheel>...`: the C library, its C headers and CUDA libraries, nothing else. */
const EXTRACT_PY = String.raw`
import os, sys, zipfile
dest, wheels = sys.argv[1], sys.argv[2:]
rules = [('tensorflow/libtensorflow_cc.so.2', 'lib/'), ('tensorflow/libtensorflow_framework.so.2', 'lib/')]
rules += [('tensorflow/include/' + p, 'include/') for p in ('tensorflow/c/', 'tensorflow/core/platform/', 'tsl/c/', 'tsl/platform/')]
found = set()
for w in wheels:
    with zipfile.ZipFile(w) as z:
        for i in z.infolist():
            n = i.filename
            if i.is_dir():
                continue
            out = None
            for src, dst in rules:
                if n.startswith(src):
                    out = dst + (os.path.basename(n) if dst == 'lib/' else n[len('tensorflow/include/'):])
                    found.add(src)
            if n.startswith('nvidia/') and '/lib/' in n:
                out = n
            if out is None:
                continue
            target = os.path.join(dest, out)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(i) as f, open(target, 'wb') as g:
                while True:
                    b = f.read(1 << 20)
                    if not b:
                        break
                    g.write(b)
            os.chmod(target, 0o755 if '.so' in out else 0o644)
missing = [src for src, _ in rules if src not in found]
if missing:
    sys.exit('the wheel lacks ' + ', '.join(missing))
`;

const CUDA_REQS_PY = String.raw`
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
meta = next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))
for line in z.read(meta).decode().splitlines():
    if line.startswith('Requires-Dist:') and 'and-cuda' in line:
        print(re.sub(r'\s', '', line.split(':', 1)[1].split(';')[0]))
`;

async function buildAddon(o: SetupOptions, libDir: string, buildDir: string, env: NodeJS.ProcessEnv, log: (m: string) => void): Promise<void> {
  const pkg = `${packageName(o.variant)}@${TFJS_NODE_VERSION}`;
  const work = await mkdtemp(`${buildDir}.tmp-`);
  try {
    log(`  building ${pkg}'s addon against it (node-gyp)`);
    const { stdout } = await step('fetch', () =>
      run('npm', ['pack', '--loglevel=error', '--pack-destination', work, pkg], { cwd: work, env, timeout: 300_000, maxBuffer: 16 << 20 }),
    );
    const tarball = path.join(work, stdout.trim().split('\n').at(-1)!);
    const src = path.join(work, 'package');
    await step('fetch', () => run('tar', ['xzf', tarball, '-C', work], { timeout: 120_000 }));
    await symlink(libDir, path.join(src, 'deps'));
    await step('build', async () => {
      const nodeGyp = nodeGypScript();
      const nodedir = path.resolve(path.dirname(process.execPath), '..');
      if (!existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) {
        throw new Error(`no Node headers at ${path.join(nodedir, 'include', 'node')} (node-gyp would download them from nodejs.org)`);
      }
      await run(
        process.execPath,
        [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '--module_name=tfjs_binding', `--module_path=${path.join(src, path.dirname(ADDON_PATH))}`, '--napi_build_version=8', `-j`, 'max'],
        { cwd: src, env, timeout: 900_000, maxBuffer: 64 << 20 },
      );
      if (!existsSync(path.join(src, ADDON_PATH))) throw new Error(`node-gyp finished without ${ADDON_PATH}`);
    });
    await step('build', async () => {
      await rm(path.join(src, 'build'), { recursive: true, force: true });
      await writeMarker(src, o.variant, libDir);
      await rm(buildDir, { recursive: true, force: true });
      await rename(src, buildDir);
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** npm's own node-gyp (every npm ships one), else one on PATH. */
function nodeGypScript(): string {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const found = candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
  if (found === undefined) throw new Error(`node-gyp not found (looked for ${candidates.filter(Boolean).join(', ')})`);
  return found;
}

async function writeMarker(dir: string, variant: NativeVariant, libDir: string): Promise<void> {
  const marker: NativeMarker = { tensorflow: TENSORFLOW_VERSION, tfjsNode: TFJS_NODE_VERSION, variant, nodeAbi: process.versions.modules, libDir };
  await writeFile(path.join(dir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
}

/** Copies the built package (JavaScript and addon: a few MB) beside the project's tfjs-core; `deps` links to the library. */
async function installIntoProject(variant: NativeVariant, buildDir: string, libDir: string, dest: string): Promise<string> {
  const tmp = `${dest}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const part of ['package.json', 'dist', 'lib', 'LICENSE']) {
    if (existsSync(path.join(buildDir, part))) await cp(path.join(buildDir, part), path.join(tmp, part), { recursive: true });
  }
  await symlink(libDir, path.join(tmp, 'deps'));
  await writeFile(path.join(tmp, LOADER), LOADER_JS);
  await writeMarker(tmp, variant, libDir);
  await rm(dest, { recursive: true, force: true });
  await rename(tmp, dest);
  return dest;
}

/**
 * Registers the package's kernels and the `tensorflow` backend on the project's tfjs-core without its
 * index.js (which needs @mapbox/node-pre-gyp and more only to find the addon). Run as a script, it
 * prints a smoke result as JSON.
 */
const LOADER_JS = `'use strict';
// Written by braise setup tensorflow (ml/native/setup.ts).
const path = require('path');
function load() {
  const tf = require('@tensorflow/tfjs-core');
  require('./dist/register_all_kernels.js');
  const { NodeJSKernelBackend } = require('./dist/nodejs_kernel_backend.js');
  const binding = require('./${ADDON_PATH.split(path.sep).join('/')}');
  const name = require('./package.json').name;
  if (tf.findBackend('tensorflow') === null) tf.registerBackend('tensorflow', () => new NodeJSKernelBackend(binding, name), 3);
  return { tensorflowVersion: binding.TF_Version, gpu: () => binding.isUsingGpuDevice() };
}
module.exports = { load };
if (require.main === module) {
  const tf = require('@tensorflow/tfjs-core');
  const info = load();
  if (!tf.setBackend('tensorflow')) throw new Error('setBackend(tensorflow) failed');
  const product = Array.from(tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync());
  process.stdout.write(JSON.stringify({ tensorflow: info.tensorflowVersion, gpu: info.gpu(), product }) + '\\n');
}
`;

async function smokeTest(dir: string, env: NodeJS.ProcessEnv): Promise<z.infer<typeof smokeSchema>> {
  const { stdout } = await run(process.execPath, [path.join(dir, LOADER)], {
    env: { TF_CPP_MIN_LOG_LEVEL: '2', ...env, ...cudaEnv(dir, env) },
    timeout: 300_000,
    maxBuffer: 16 << 20,
  });
  const r = smokeSchema.parse(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''));
  if (r.product.join(',') !== '17,39') throw new Error(`[[1,2],[3,4]]·[[5],[6]] gave [${r.product}], expected [17,39]`);
  return r;
}

/** The failure of a first-use setup, kept so later runs say it again instead of retrying every time. */
function failureFile(toolsDir: string, variant: NativeVariant): string {
  return path.join(toolsDir, 'tensorflow', `${buildKey(variant)}.failed`);
}

export interface EnsureOptions extends Omit<SetupOptions, 'variant' | 'log'> {
  log: (message: string) => void;
}

/**
 * First use, for a process about to train: makes the native backend available when it is not yet,
 * with one progress line. A cached install costs a few `stat`s (TensorFlow is not loaded here).
 * On failure prints one line saying what failed and that training falls back to WASM, and does not
 * retry on later runs (`braise setup tensorflow` does); with `BRAISE_TF_BACKEND=tensorflow` it throws
 * instead. `BRAISE_TF_BACKEND=wasm|cpu` skips it.
 */
export async function ensureTensorflow(o: EnsureOptions): Promise<SetupResult | null> {
  const env = o.env ?? process.env;
  const forced = env.BRAISE_TF_BACKEND ?? '';
  if (forced === 'wasm' || forced === 'cpu') return null;
  const variants: NativeVariant[] = nvidiaDriverPresent() ? ['gpu', 'cpu'] : ['cpu'];
  const packageDir = o.packageDir ?? installedPackageDir;
  for (const variant of variants) if (installedNative(variant, packageDir(variant))) return null;
  const errors: string[] = [];
  for (const variant of variants) {
    const failed = failureFile(o.toolsDir, variant);
    if (existsSync(failed)) {
      errors.push((await readFile(failed, 'utf8')).trim());
      continue;
    }
    const cached = existsSync(path.join(o.toolsDir, 'tensorflow', buildKey(variant), MARKER));
    if (!cached) {
      o.log(
        `setting up the native TensorFlow backend (${packageName(variant)} on TensorFlow ${TENSORFLOW_VERSION} from PyPI: one time, ` +
          `~${variant === 'gpu' ? '3 GB' : '200 MB'} download and a short build) into ${path.join(o.toolsDir, 'tensorflow')}…`,
      );
    }
    try {
      const r = await setupTensorflow({ ...o, variant, log: () => {}, env });
      if (r.did === 'built') o.log(`native TensorFlow backend ready (TensorFlow ${r.tensorflowVersion}, ${r.device}) in ${r.seconds.toFixed(0)} s`);
      return r;
    } catch (err) {
      const message = (err as Error).message;
      errors.push(message);
      await mkdir(path.dirname(failed), { recursive: true });
      await writeFile(failed, `${message}\n`).catch(() => undefined);
    }
  }
  const line = `${errors.join('; ')}`;
  if (forced === 'tensorflow') throw new Error(`${line}. BRAISE_TF_BACKEND=tensorflow requires the native backend (retry with: braise setup tensorflow)`);
  o.log(`${line}; training falls back to WASM (retry with: braise setup tensorflow; BRAISE_TF_BACKEND=wasm stops trying)`);
  return null;
}

/** Forgets a recorded first-use failure (an explicit `braise setup tensorflow` retries). */
export async function clearFailure(toolsDir: string, variant: NativeVariant): Promise<void> {
  await rm(failureFile(toolsDir, variant), { force: true });
}
