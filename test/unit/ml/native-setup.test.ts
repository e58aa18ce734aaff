/**
 * The native backend's setup when a step fails: one clear line naming the step, training falling back
 * to WASM, no retry on the next run, and an error instead when BRAISE_TF_BACKEND=tensorflow asks for it.
 * Every failure here is real (pip with no index, a python that does not exist, an unreachable npm registry).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selectBackend, threadCount } from '../../../ml/backend.ts';
import { TENSORFLOW_VERSION } from '../../../ml/native/layout.ts';
import { ensureTensorflow, NativeSetupError, setupTensorflow } from '../../../ml/native/setup.ts';

let dir: string;
let tools: string;
let packageDir: (variant: string) => string;
/** pip that finds no wheel anywhere: no index, and an empty local folder. */
let noWheels: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'braise-native-'));
  tools = path.join(dir, 'tools');
  packageDir = (variant) => path.join(dir, 'node_modules', `tfjs-node-${variant}`);
  await mkdir(path.join(dir, 'empty'));
  noWheels = { ...process.env, PIP_NO_INDEX: '1', BRAISE_TF_WHEELS: path.join(dir, 'empty'), BRAISE_TF_BACKEND: '' };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('braise setup tensorflow: failing steps', () => {
  it('a wheel pip cannot find fails at download, naming the wheel', async () => {
    const err = await setupTensorflow({ toolsDir: tools, variant: 'cpu', env: noWheels, packageDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NativeSetupError);
    expect((err as NativeSetupError).step).toBe('download');
    expect((err as Error).message).toMatch(new RegExp(`^native TensorFlow setup failed at download: .*tensorflow-cpu==${TENSORFLOW_VERSION.replace(/\./g, '\\.')}`));
  }, 120_000);

  it('a missing python fails at download and says so', async () => {
    const err = await setupTensorflow({ toolsDir: tools, variant: 'cpu', env: noWheels, packageDir, python: path.join(dir, 'no-python3') }).catch((e: unknown) => e);
    expect((err as NativeSetupError).step).toBe('download');
    expect((err as Error).message).toMatch(/no-python3.*is it installed\?/);
  });

  it('an unreachable npm registry fails at fetch (the staged library is reused, not downloaded again)', async () => {
    const lib = path.join(tools, 'tensorflow', `libtensorflow-${TENSORFLOW_VERSION}-cpu`, 'lib');
    await mkdir(lib, { recursive: true });
    await writeFile(path.join(lib, 'libtensorflow_cc.so.2'), '');
    const env = { ...noWheels, npm_config_registry: 'http://127.0.0.1:9/', npm_config_cache: path.join(dir, 'npm-cache'), npm_config_fetch_retries: '0' };
    const err = await setupTensorflow({ toolsDir: tools, variant: 'cpu', env, packageDir }).catch((e: unknown) => e);
    expect((err as NativeSetupError).step).toBe('fetch');
    expect((err as Error).message).toMatch(/^native TensorFlow setup failed at fetch: /);
  }, 120_000);
});

describe('first use', () => {
  it('prints one progress line, then one line saying what failed and that training falls back to WASM; later runs do not retry', async () => {
    const lines: string[] = [];
    const first = await ensureTensorflow({ toolsDir: tools, env: noWheels, packageDir, log: (m) => lines.push(m) });
    expect(first).toBeNull();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^setting up the native TensorFlow backend/);
    expect(lines[1]).toMatch(/^native TensorFlow setup failed at download: .*; training falls back to WASM \(retry with: braise setup tensorflow/);

    const again: string[] = [];
    const t0 = performance.now();
    await ensureTensorflow({ toolsDir: tools, env: noWheels, packageDir, log: (m) => again.push(m) });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(again).toEqual([lines[1]]);
  }, 120_000);

  it('BRAISE_TF_BACKEND=tensorflow turns the fallback into an error; wasm skips the setup', async () => {
    const lines: string[] = [];
    await expect(ensureTensorflow({ toolsDir: tools, env: { ...noWheels, BRAISE_TF_BACKEND: 'tensorflow' }, packageDir, log: (m) => lines.push(m) })).rejects.toThrow(
      /native TensorFlow setup failed at download: .*BRAISE_TF_BACKEND=tensorflow requires the native backend/,
    );
    const skipped: string[] = [];
    expect(await ensureTensorflow({ toolsDir: tools, env: { ...noWheels, BRAISE_TF_BACKEND: 'wasm' }, packageDir, log: (m) => skipped.push(m) })).toBeNull();
    expect(skipped).toEqual([]);
  }, 120_000);
});

describe('backend settings', () => {
  it('rejects an unknown BRAISE_TF_BACKEND and a bad BRAISE_THREADS, naming them', async () => {
    const saved = process.env.BRAISE_TF_BACKEND;
    process.env.BRAISE_TF_BACKEND = 'tpu';
    try {
      await expect(selectBackend()).rejects.toThrow("BRAISE_TF_BACKEND: expected one of auto, tensorflow, wasm, cpu, got 'tpu'");
    } finally {
      if (saved === undefined) delete process.env.BRAISE_TF_BACKEND;
      else process.env.BRAISE_TF_BACKEND = saved;
    }
    expect(threadCount({ BRAISE_THREADS: '3' })).toBe(3);
    expect(() => threadCount({ BRAISE_THREADS: 'two' })).toThrow("BRAISE_THREADS: expected a whole number of threads from 1 to 1024, got 'two'");
  });
});
