/**
 * The production workflow bundle: `npm run build:workflows` writes the file the images build, a real replay Worker
 * loads it and replays every recorded history, and a real control worker started with BRAISE_WORKFLOW_BUNDLE runs a
 * recipe from it on the suite's Temporal server without bundling anything at start. A missing or broken file stops
 * the worker at start, naming it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { openRuntime } from '../../infra/runtime.ts';
import { awaitRunState, startRun } from '../../infra/temporal/runs.ts';
import { compileRecipe, parseRecipeText } from '../../recipe/index.ts';
import { testHome, type TestHome } from './harness.ts';
import { NOISE } from './recipes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HISTORIES = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

describe('the production workflow bundle', () => {
  let dir: string;
  let bundle: string;
  let home: TestHome;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'braise-bundle-'));
    bundle = join(dir, 'workflow-bundle.js');
    const r = spawnSync('npm', ['run', '--silent', 'build:workflows', '--', bundle], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    home = await testHome('pglite');
  });
  afterAll(async () => {
    await home?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('replays every recorded history from the built file', async () => {
    const files = (await readdir(HISTORIES, { recursive: true })).filter((f) => f.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThan(10);
    const histories = await Promise.all(files.map(async (f) => ({ workflowId: f, history: JSON.parse(await readFile(join(HISTORIES, f), 'utf8')) as unknown })));
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: bundle } }, histories)) results.push(r);
    expect(results.map((r) => [r.workflowId, r.error?.message ?? null])).toEqual(files.map((f) => [f, null]));
  });

  it('runs a recipe on a control worker that loads it (BRAISE_WORKFLOW_BUNDLE), bundling nothing at start', async () => {
    const config = loadConfig({ ...process.env, ...home.env, BRAISE_WORKFLOW_BUNDLE: bundle }, home.home);
    const rt = await openRuntime({ config, queues: ['control', 'cpu'] });
    try {
      const recipe = `apiVersion: braise/v1\nname: prebuilt-bundle\ndatasets:\n  noise: { source: "file:${NOISE}" }\nstages:\n  - { id: clean, kind: filter, inputs: [noise], with: { rules: [gopher-quality] } }\n`;
      const run = await startRun(rt.client!, compileRecipe(parseRecipeText(recipe)), { noCache: true });
      const state = await awaitRunState(run.handle);
      expect(state.status).toBe('completed');
      expect(state.stages.find((s) => s.id === 'clean')?.metrics.docs).toBe(3);
    } finally {
      await rt.close();
    }
    // The bundle cache is where a worker without BRAISE_WORKFLOW_BUNDLE would have written what webpack made.
    expect(existsSync(join(config.cacheDir, 'workflow-bundle'))).toBe(false);
  });

  it('stops the worker at start when the file is missing or is not a bundle, naming it; a later start still works', async () => {
    const missing = join(dir, 'missing.js');
    const config = (path: string) => loadConfig({ ...process.env, ...home.env, BRAISE_WORKFLOW_BUNDLE: path }, home.home);
    await expect(openRuntime({ config: config(missing), queues: ['control'] })).rejects.toThrow(`BRAISE_WORKFLOW_BUNDLE: ${missing} does not exist`);
    const broken = join(dir, 'broken.js');
    await writeFile(broken, 'this is not a workflow bundle');
    await expect(openRuntime({ config: config(broken), queues: ['control'] })).rejects.toThrow(`BRAISE_WORKFLOW_BUNDLE: ${broken} could not be loaded as a workflow bundle`);
    // The failed starts left the process's one Temporal Runtime installed; a fresh copy of infra/runtime.ts (what the
    // next test file in this process loads) still opens a runtime and runs workers on it.
    vi.resetModules();
    const fresh = await import('../../infra/runtime.ts');
    const rt = await fresh.openRuntime({ config: loadConfig({ ...process.env, ...home.env, BRAISE_WORKFLOW_BUNDLE: bundle }, home.home), queues: ['control'] });
    await rt.close();
  });
});
