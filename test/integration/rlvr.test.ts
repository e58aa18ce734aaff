/**
 * The `rlvr` stage end to end on the real Temporal dev server and PGlite, as recipes/rlvr.yaml ships: a tiny
 * pretrain, SFT on the built-in single-digit addition pairs, then GRPO on such prompts. It runs its steps, records its
 * loss curve and its per-step reward, KL, response length and groups-kept series beside it, reports their
 * final values in the stage metrics, checkpoints every checkpointEvery steps, and its model artifact records
 * the model it was tuned from. A regex extraction that does not compile is refused by `braise run` with
 * exit 2, its path and line, before anything starts.
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

const RECIPE_FILE = fileURLToPath(new URL('../../recipes/rlvr.yaml', import.meta.url));
const SERIES = ['train/mean_reward', 'train/accuracy', 'train/kl', 'train/response_length', 'train/groups_kept'];

describe('rlvr stage', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let recipe: string;
  let state: RunState;
  const stage = (id: string) => state.stages.find((s) => s.id === id)!;
  const model = (id: string) => stage(id).outputs.find((o) => o.port === 'model')!.artifactId;
  const curve = async (name: string) => (await rt.lineage.metricsForRun(state.runId, { stage: 'rl', name }))[0]?.points ?? [];

  beforeAll(async () => {
    ({ home, rt, text: recipe, state } = await runRecipeFile(RECIPE_FILE));
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('runs pretrain → sft → rlvr to completion and reports reward, KL, response length and groups kept', () => {
    expect(state.status).toBe('completed');
    const m = stage('rl').metrics;
    expect(m).toMatchObject({ steps: 8, rows: 73, resumed_from_step: -1 }); // the train split of the single-digit sums
    for (const name of ['mean_reward', 'first_mean_reward']) {
      expect(m[name]).toBeGreaterThanOrEqual(0);
      expect(m[name]).toBeLessThanOrEqual(10);
    }
    expect(m.groups_kept).toBeGreaterThanOrEqual(0);
    expect(m.groups_kept).toBeLessThanOrEqual(1);
    expect(m.accuracy).toBeCloseTo(m.mean_reward! / 10, 6);
    expect(m.kl).toBeGreaterThanOrEqual(0);
    // Completions of at most 8 new tokens, plus the EOS they stopped on.
    expect(m.response_length).toBeGreaterThan(0);
    expect(m.response_length).toBeLessThanOrEqual(9);
    expect(m.steps_without_update).toBeGreaterThanOrEqual(0);
    expect(m.steps_without_update).toBeLessThanOrEqual(8);
  });

  it('records the loss curve and every per-step series, one point a step, consistent with the stage metrics', async () => {
    expect(await curve('train/loss')).toHaveLength(8);
    for (const name of SERIES) expect((await curve(name)).map((p) => p[0]), name).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const kept = await curve('train/groups_kept');
    expect(kept.filter(([, v]) => v === 0)).toHaveLength(stage('rl').metrics.steps_without_update!);
    const rewards = (await curve('train/mean_reward')).map(([, v]) => v);
    expect(stage('rl').metrics.first_mean_reward).toBeCloseTo((rewards[0]! + rewards[1]! + rewards[2]! + rewards[3]!) / 4, 6);
    // The first step samples from the starting policy itself: no KL to it yet.
    expect((await curve('train/kl'))[0]![1]).toBeCloseTo(0, 6);
  });

  it('records the model it was tuned from and the chat template on the artifact, and checkpoints every checkpointEvery steps', async () => {
    const ref = await rt.store.get(model('rl'));
    expect(ref.meta).toMatchObject({ tunedFrom: { stage: 'tuned', artifact: model('tuned') }, steps: 8, chatTemplate: { name: 'tulu' } });
    const up = await rt.lineage.upstream(model('rl'));
    expect(up.some((u) => u.artifact.id === model('tuned'))).toBe(true);
    const roots = await readdir(home.config.checkpointsRoot);
    const dirs = (await Promise.all(roots.map((r) => readdir(join(home.config.checkpointsRoot, r)).catch(() => [])))).flat();
    expect(dirs).toEqual(expect.arrayContaining(['step-00000004', 'step-00000008']));
  });

  it('refuses a regex extraction that does not compile, with exit 2, its path and line', async () => {
    const file = join(home.home, 'bad-rlvr.yaml');
    await writeFile(file, recipe.replace('maxNewTokens: 8,', 'maxNewTokens: 8, extraction: { regex: "(unclosed" },'));
    const r = await runBraise(['run', file, '--json'], home.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/line 24: stages\[2\]\.with\.extraction\.regex: not a valid regular expression/);
  });
});
