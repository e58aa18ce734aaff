/**
 * The native TensorFlow backend as a user meets it: `braise setup tensorflow` in a new home finds the
 * project's install (no download), and `braise run` trains on it, the model artifact saying so.
 * Runs where the backend is set up, and always in CI (which sets it up first), where a missing one fails.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedNative } from '../../ml/native/layout.ts';
import { runBraise as braise } from '../support/braise-cli.ts';
import { testHome, type TestHome } from './harness.ts';
import { tinyRecipe } from './recipes.ts';

describe.skipIf(installedNative('cpu') === null && process.env.CI !== 'true')('native TensorFlow backend', () => {
  let home: TestHome;
  beforeAll(async () => {
    home = await testHome('pglite');
  });
  afterAll(async () => home?.cleanup());

  it('braise setup tensorflow in a new home finds the project install and proves it, without a download', async () => {
    const r = await braise(['setup', 'tensorflow'], home.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/native TensorFlow backend already installed: TensorFlow 2\.16\.\d+ on cpu/);
  });

  it('braise run trains on it, and the model artifact records backend, TensorFlow version and device', async () => {
    const file = join(home.home, 'tiny.yaml');
    await writeFile(file, tinyRecipe({ name: 'native', steps: 10 }));
    const r = await braise(['run', file, '--json'], { ...home.env, BRAISE_TF_BACKEND: 'tensorflow' });
    expect(r.code, r.stderr).toBe(0);
    const view = JSON.parse(r.stdout) as { stages: Array<{ id: string; outputs: Array<{ port: string; artifactId: string }> }> };
    const model = view.stages.find((s) => s.id === 'base')!.outputs.find((o) => o.port === 'model')!;
    const record = JSON.parse(await readFile(join(home.config.artifactsRoot, `${model.artifactId}.json`), 'utf8')) as { meta: Record<string, unknown> };
    expect(record.meta).toMatchObject({ backend: 'tensorflow', tensorflowVersion: expect.stringMatching(/^2\.16\./), device: 'cpu' });
  });
});
