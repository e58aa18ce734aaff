/**
 * The `upsample` stage end to end on the real Temporal dev server and PGlite, as recipes/upsample.yaml ships: a
 * 20-step pretrain on two Brown domains (science_fiction, humor), then its last quarter again from its checkpoint
 * at step 15 three ways. With every weight 1 the upsample is the pretrain's own last 5 steps: it ends at the
 * pretrain's final model, byte for byte (the same content-addressed artifact) and with its losses. Weight 0 on
 * humor: no window the trainer records reading (its checkpoints' consumed.json) touches a humor document, and its
 * mixture curve says 0. Weight 3 on science fiction: the token-share mixture reweighted. A domain the data lacks
 * (Brown's genres are known before reading) is refused at compile time, naming the domains there are.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BraiseRuntime } from '../../infra/runtime.ts';
import { reweight } from '../../ml/mixing/reweight.ts';
import { compileRecipe, parseRecipeText, RecipeError, type RecipeIssue } from '../../recipe/index.ts';
import type { RunState } from '../../workflows/state.ts';
import type { TestHome } from './harness.ts';
import { runRecipeFile } from './run-recipe-file.ts';

const RECIPE_FILE = fileURLToPath(new URL('../../recipes/upsample.yaml', import.meta.url));

describe('upsample stage', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let recipe: string;
  let state: RunState;
  const stage = (id: string) => state.stages.find((s) => s.id === id)!;
  const model = (id: string) => stage(id).outputs.find((o) => o.port === 'model')!.artifactId;
  const curve = async (id: string, name: string) => (await rt.lineage.metricsForRun(state.runId, { stage: id, name }))[0]!.points;

  beforeAll(async () => {
    ({ home, rt, text: recipe, state } = await runRecipeFile(RECIPE_FILE));
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('with every weight 1 it continues pretraining: the pretrain\'s final model, and its last losses', async () => {
    expect(state.status).toBe('completed');
    expect(stage('same').metrics).toMatchObject({ steps: 20, start_step: 15, upsample_steps: 5 });
    expect(model('same')).toBe(model('base'));
    const base = await curve('base', 'train/loss');
    const same = await curve('same', 'train/loss');
    expect(same.map(([s]) => s)).toEqual([16, 17, 18, 19, 20]);
    expect(same).toEqual(base.slice(15));
  });

  it('weight 0 drops a domain: no window it trains on reads a humor document', async () => {
    expect(model('nohumor')).not.toBe(model('base'));
    const step = (await rt.lineage.stepsForRun(state.runId)).find((s) => s.stageId === 'nohumor')!;
    const dir = join(home.config.checkpointsRoot, step.cacheKey);
    const checkpoints = await readdir(dir);
    expect(checkpoints).toEqual(['step-00000020']);
    const consumed = JSON.parse(await readFile(join(dir, 'step-00000020', 'consumed.json'), 'utf8')) as { fromStep: number; toStep: number; docs: Array<{ id: string }> };
    expect(consumed).toMatchObject({ fromStep: 15, toStep: 20 });
    const ids = consumed.docs.map((d) => d.id);
    expect(ids.length).toBeGreaterThan(0);
    // Brown ids are brown/c<genre><nn>: m science_fiction, r humor.
    expect(ids.filter((id) => id.startsWith('brown/cr'))).toEqual([]);
    expect(ids.every((id) => id.startsWith('brown/cm'))).toBe(true);
    expect(await curve('nohumor', 'mixture/humor')).toEqual([[15, 0]]);
    expect(await curve('nohumor', 'mixture/science_fiction')).toEqual([[15, 1]]);
  });

  it('records the effective mixture: token shares reweighted, on the artifact and as metrics', async () => {
    // `same`'s artifact is the pretrain's own (same content, so its meta is the pretrain's): its mixture is in its metrics.
    const m = stage('same').metrics;
    const shares = { humor: m['mixture/humor']!, science_fiction: m['mixture/science_fiction']! };
    expect(shares.humor).toBeGreaterThan(0.2);
    expect(shares.humor! + shares.science_fiction!).toBeCloseTo(1, 12);
    const scifi = await rt.store.get(model('scifi'));
    expect(scifi.meta).toMatchObject({
      upsampledFrom: { stage: 'base', artifact: model('base') },
      fraction: 0.25,
      startStep: 15,
      steps: 20,
      domains: { science_fiction: 3 },
    });
    const expected = reweight(shares, { science_fiction: 3 });
    expect(scifi.meta['mixture']).toEqual(expected);
    expect(stage('scifi').metrics['mixture/science_fiction']).toBeCloseTo(expected.science_fiction!, 12);
    const up = await rt.lineage.upstream(model('scifi'));
    expect(up.some((u) => u.artifact.id === model('base'))).toBe(true);
  });

  it('a domain the data lacks is refused at compile time, with its path and line, naming the domains there are', () => {
    const bad = recipe.replace('domains: { science_fiction: 3 }', 'domains: { sports: 2 }');
    let issues: RecipeIssue[] = [];
    try {
      compileRecipe(parseRecipeText(bad));
    } catch (err) {
      if (err instanceof RecipeError) issues = err.issues;
    }
    expect(issues).toEqual([
      expect.objectContaining({ path: 'stages[3].with.domains.sports', line: 28, message: 'no domain "sports" in the data of pretrain "base" (its domains: humor, science_fiction)' }),
    ]);
  });
});
