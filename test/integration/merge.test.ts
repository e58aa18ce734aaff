/**
 * The `merge` stage end to end on the real Temporal dev server and PGlite, as recipes/merge.yaml ships: three
 * tiny pretrain stages (one seed, so one initialization; different step counts) merged by TIES, DARE and slerp, then evaluated like
 * any pretrain model. slerp at t = 0 gives the first model's weights byte for byte, so its scores are that
 * model's; lineage names every input model and the base; a rerun takes every stage from the cache. A bad
 * merge (a base that is no model, another method's parameter) is refused by `braise run` with exit 2, its
 * paths and lines, before anything starts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BraiseRuntime } from '../../infra/runtime.ts';
import { awaitRunState, startRun } from '../../infra/temporal/runs.ts';
import type { Plan } from '../../recipe/index.ts';
import type { RunState } from '../../workflows/state.ts';
import { runBraise } from '../support/braise-cli.ts';
import type { TestHome } from './harness.ts';
import { runRecipeFile } from './run-recipe-file.ts';

const RECIPE_FILE = fileURLToPath(new URL('../../recipes/merge.yaml', import.meta.url));

describe('merge stage', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let recipe: string;
  let plan: Plan;
  let state: RunState;
  const stage = (id: string) => state.stages.find((s) => s.id === id)!;
  const model = (id: string) => stage(id).outputs.find((o) => o.port === 'model')!.artifactId;

  beforeAll(async () => {
    ({ home, rt, text: recipe, plan, state } = await runRecipeFile(RECIPE_FILE));
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('runs pretrain → merge (ties, dare, slerp) → evaluate to completion', () => {
    expect(state.status).toBe('completed');
    expect(state.stages.map((s) => [s.id, s.status])).toEqual(expect.arrayContaining([['ties', 'completed'], ['dare', 'completed'], ['slerp', 'completed'], ['eval', 'completed']]));
    expect(stage('ties').metrics).toMatchObject({ models: 2 });
    expect(stage('ties').metrics.parameters).toBeGreaterThan(0);
    // TIES keeps the top half of each task vector by magnitude; DARE about half at random.
    expect(stage('ties').metrics.kept_fraction).toBeCloseTo(0.5, 2);
    expect(Math.abs(stage('dare').metrics.kept_fraction! - 0.5)).toBeLessThan(0.05);
  });

  it('slerp at t=0 is the first model: the same weights, byte for byte, and the same scores', async () => {
    const weights = async (id: string) => readFile(join(rt.store.dir(model(id)), 'weights.bin'));
    expect((await weights('slerp')).equals(await weights('a'))).toBe(true);
    expect((await weights('ties')).equals(await weights('a'))).toBe(false);
    const m = stage('eval').metrics;
    expect(m['slerp/perplexity/mean/bits_per_byte']).toBe(m['a/perplexity/mean/bits_per_byte']);
    for (const id of ['ties', 'dare']) {
      expect(m[`${id}/perplexity/mean/bits_per_byte`]).toBeGreaterThan(0.5);
      expect(m[`${id}/perplexity/mean/bits_per_byte`]).toBeLessThan(10);
    }
  });

  it('records the method, its settings, every input model and the base, in lineage and on the model', async () => {
    const up = await rt.lineage.upstream(model('ties'));
    const producers = up.filter((u) => u.artifact.kind === 'model').map((u) => u.producedBy?.stageId);
    expect(producers.sort()).toEqual(['a', 'b', 'base']);
    const meta = JSON.parse(await readFile(join(rt.store.dir(model('ties')), 'model.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({
      format: 'braise.model/v1',
      merge: {
        method: 'ties',
        settings: { method: 'ties', base: 'base', density: 0.5, lambda: 1, normalize: true, weights: { b: 0.5 } },
        models: [{ label: 'a', weight: 1 }, { label: 'b', weight: 0.5 }],
        base: 'base',
      },
    });
    const steps = await rt.lineage.stepsForRun(state.runId);
    const tiesStep = steps.find((s) => s.stageId === 'ties')!;
    expect(tiesStep.inputs.map((i) => i.artifactId).sort()).toEqual([model('a'), model('b'), model('base')].sort());
  });

  it('a rerun takes every stage from the cache, DARE included (its masks are seeded by the recipe)', async () => {
    const again = await awaitRunState((await startRun(rt.client!, plan, { noCache: false })).handle);
    expect(again.stages.every((s) => s.status === 'cached')).toBe(true);
    expect(again.stages.find((s) => s.id === 'dare')!.outputs).toEqual(stage('dare').outputs);
  });

  it('refuses a bad merge with exit 2, paths and lines, before anything starts', async () => {
    const file = join(home.home, 'bad-merge.yaml');
    await writeFile(file, recipe.replace('with: { method: ties, base: base, density: 0.5, weights: { b: 0.5 } }', 'with: { method: ties, base: web, t: 0.3 }'));
    const r = await runBraise(['run', file, '--json'], home.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('line 26: stages[3].with.t: "t" is not a parameter of ties');
    expect(r.stderr).toContain('line 26: stages[3].with.base: "web" is a dataset; expected model');
    expect(await rt.lineage.stepsForRun(state.runId)).toHaveLength(state.stages.length);
  });
});
