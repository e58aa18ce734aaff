/**
 * The on-disk workflow bundle cache: a second process start reuses the bundle,
 * and any change to what the bundle contains (a workflow file, a module it
 * imports) makes a new one, while files no workflow imports do not. Real
 * webpack through the SDK's bundler; the bundles run in a real replay worker.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type BundleOptions } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedWorkflowBundle } from '../../infra/temporal/bundle-cache.ts';
import { workflowBundle } from '../../infra/temporal/worker.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

describe('workflow bundle cache', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'braise-bundle-test-'));
  const cacheDir = join(dir, 'cache');
  const src = join(dir, 'src');
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const write = async (files: Record<string, string>) => {
    await mkdir(src, { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(src, name), text);
  };
  // Workflows outside the project: webpack resolves @temporalio/workflow from the project's node_modules.
  const webpackConfigHook: BundleOptions['webpackConfigHook'] = (config) => ({ ...config, resolve: { ...config.resolve, modules: [join(ROOT, 'node_modules'), 'node_modules'] } });
  const bundle = () => cachedWorkflowBundle({ bundle: { workflowsPath: join(src, 'index.ts'), logger: silent, webpackConfigHook }, cacheDir });

  it('reuses an unchanged bundle, and bundles again when an imported module or the entry changes', async () => {
    await write({
      'index.ts': "export { greet } from './greet.ts';\n",
      'greet.ts': "import { word } from './word.ts';\nexport async function greet(): Promise<string> { return word; }\n",
      'word.ts': "export const word = 'hello';\n",
      'unrelated.ts': "export const notImported = 1;\n",
    });
    const first = await bundle();
    expect(first.source).toBe('bundled');
    expect(first.code).toContain("'hello'");

    const second = await bundle();
    expect(second.source).toBe('cache');
    expect(second.code).toBe(first.code);

    // A file in the same folder that no workflow imports is not part of the bundle.
    await write({ 'unrelated.ts': "export const notImported = 2;\n" });
    expect((await bundle()).source).toBe('cache');

    // A module imported two levels down changes: new bundle, with the change in it.
    await write({ 'word.ts': "export const word = 'bonjour';\n" });
    const third = await bundle();
    expect(third.source).toBe('bundled');
    expect(third.code).toContain("'bonjour'");
    expect(third.code).not.toContain("'hello'");
    expect((await bundle()).source).toBe('cache');

    // A new workflow exported from the entry.
    await write({ 'index.ts': "export { greet } from './greet.ts';\nexport async function other(): Promise<number> { return 42; }\n" });
    const fourth = await bundle();
    expect(fourth.source).toBe('bundled');
    expect(fourth.code).toContain('42');

    // Old bundles for the same workflows are removed; one bundle and its manifest remain.
    expect((await readdir(cacheDir)).filter((f) => !f.endsWith('.tmp')).sort()).toHaveLength(2);
  });

  it('bundles again when the cached file is damaged', async () => {
    const good = await bundle();
    expect(good.source).toBe('cache');
    await writeFile(good.path!, good.code.slice(0, 1000));
    const again = await bundle();
    expect(again.source).toBe('bundled');
    expect(again.code).toBe(good.code);
    expect((await bundle()).source).toBe('cache');
  });

  it("serves Braise's own workflows from the cache, and the cached code replays the recorded histories", async () => {
    const cache = join(dir, 'braise-cache');
    const cold = await cachedWorkflowBundle({ bundle: { workflowsPath: join(ROOT, 'workflows', 'index.ts'), logger: silent }, cacheDir: cache });
    // workflowBundle() memoizes per process; a fresh process would read what `cold` wrote.
    const warm = await cachedWorkflowBundle({ bundle: { workflowsPath: join(ROOT, 'workflows', 'index.ts'), logger: silent }, cacheDir: cache });
    expect([cold.source, warm.source]).toEqual(['bundled', 'cache']);
    expect(warm.code).toBe((await workflowBundle()).code);
    const history = JSON.parse(await readFile(join(ROOT, 'test/fixtures/histories/completed.json'), 'utf8')) as unknown;
    await Worker.runReplayHistory({ workflowBundle: { code: warm.code } }, history, 'completed');
  });
});
