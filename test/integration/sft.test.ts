/**
 * The `sft` stage end to end on the real Temporal dev server and PGlite, as recipes/sft.yaml ships: a tiny
 * pretrain, then SFT on the built-in addition pairs. Its loss falls, its curve is recorded like pretrain's,
 * the model artifact records the chat template and the model it was tuned from, and checkpoints are written
 * every checkpointEvery steps. A bad sft (a dataset where the model goes, an unknown dataset option) is
 * refused by `braise run` with exit 2, paths and lines, before anything starts.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BraiseRuntime } from '../../infra/runtime.ts';
import type { RunState } from '../../workflows/state.ts';
import { runBraise } from '../support/braise-cli.ts';
import type { TestHome } from './harness.ts';
import { runRecipeFile } from './run-recipe-file.ts';

const RECIPE_FILE = fileURLToPath(new URL('../../recipes/sft.yaml', import.meta.url));

describe('sft stage', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let recipe: string;
  let state: RunState;
  const stage = (id: string) => state.stages.find((s) => s.id === id)!;
  const model = (id: string) => stage(id).outputs.find((o) => o.port === 'model')!.artifactId;

  beforeAll(async () => {
    ({ home, rt, text: recipe, state } = await runRecipeFile(RECIPE_FILE));
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('runs pretrain → sft on the addition pairs to completion, and the loss falls', () => {
    expect(state.status).toBe('completed');
    const m = stage('tuned').metrics;
    expect(m).toMatchObject({ steps: 40, rows: 400, resumed_from_step: -1 });
    expect(m.response_tokens).toBeGreaterThan(40 * 8 * 3);
    expect(m.final_loss).toBeLessThan(m.first_loss! * 0.8);
  });

  it('records the loss curve, and the chat template and the base model on the artifact', async () => {
    const [curve] = await rt.lineage.metricsForRun(state.runId, { stage: 'tuned', name: 'train/loss' });
    expect(curve!.points).toHaveLength(40);
    const ref = await rt.store.get(model('tuned'));
    expect(ref.meta).toMatchObject({ chatTemplate: { name: 'tulu', user: '<|user|>\n', assistant: '\n<|assistant|>\n', endsWithEos: true }, tunedFrom: { stage: 'base', artifact: model('base') }, steps: 40 });
    const up = await rt.lineage.upstream(model('tuned'));
    expect(up.some((u) => u.artifact.id === model('base'))).toBe(true);
  });

  it('checkpoints every checkpointEvery steps', async () => {
    const roots = await readdir(home.config.checkpointsRoot);
    const dirs = (await Promise.all(roots.map((r) => readdir(join(home.config.checkpointsRoot, r)).catch(() => [])))).flat();
    expect(dirs).toEqual(expect.arrayContaining(['step-00000020', 'step-00000040']));
  });

  it('refuses sft on a dataset as its model, and an unknown dataset option, with exit 2, paths and lines', async () => {
    const file = join(home.home, 'bad-sft.yaml');
    await writeFile(file, recipe.replace('inputs: [base, pairs]', 'inputs: [pairs]').replace('shape: sft, limit: 400', 'shape: sft, genres: [a], limit: 400'));
    const r = await runBraise(['run', file, '--json'], home.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('line 10: datasets.pairs.genres: "genres" is only supported by builtin:brown');
    expect(r.stderr).toContain('line 18: stages[1].inputs: sft needs at least one model input');
    expect(await rt.lineage.stepsForRun(state.runId)).toHaveLength(state.stages.length);
  });
});
