/**
 * The `dpo` stage end to end on the real Temporal dev server and PGlite, as recipes/dpo.yaml ships: pretrain →
 * sft → dpo on the built-in preference pairs, and a second dpo on pairs sampled from the tuned model (chosen) and
 * the base (rejected). What a user checks: the loss starts at log 2 with a zero margin (policy = reference) and the
 * margin and preference accuracy rise; the reward curves are recorded beside the loss; the reference log-probs are
 * an artifact of their own in lineage, and a rerun with other DPO settings reuses it instead of computing it again.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../datasets/dataset.ts';
import type { BraiseRuntime } from '../../infra/runtime.ts';
import { awaitRunState, startRun } from '../../infra/temporal/runs.ts';
import { compileRecipe, parseRecipeText } from '../../recipe/index.ts';
import type { RunState } from '../../workflows/state.ts';
import { runBraise } from '../support/braise-cli.ts';
import type { TestHome } from './harness.ts';
import { runRecipeFile } from './run-recipe-file.ts';

const RECIPE_FILE = fileURLToPath(new URL('../../recipes/dpo.yaml', import.meta.url));

describe('dpo stage', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let recipe: string;
  let state: RunState;
  const stageOf = (s: RunState, id: string) => s.stages.find((x) => x.id === id)!;
  const output = (s: RunState, id: string, port: string) => stageOf(s, id).outputs.find((o) => o.port === port)?.artifactId;

  beforeAll(async () => {
    ({ home, rt, text: recipe, state } = await runRecipeFile(RECIPE_FILE));
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('runs pretrain → sft → dpo: loss log 2 and margin 0 at the first step, then the margin and accuracy rise', () => {
    expect(state.status).toBe('completed');
    const m = stageOf(state, 'aligned').metrics;
    expect(m).toMatchObject({ steps: 20, pairs: 32, reference_cached: 0, resumed_from_step: -1 });
    expect(m.first_loss).toBeCloseTo(Math.log(2), 4);
    expect(Math.abs(m.first_reward_margin!)).toBeLessThan(1e-3);
    expect(m.first_accuracy).toBeLessThan(0.5);
    expect(m.final_loss).toBeLessThan(m.first_loss!);
    expect(m.reward_margin).toBeGreaterThan(0);
    expect(m.accuracy).toBeGreaterThan(0.5);
    expect(m.chosen_reward! - m.rejected_reward!).toBeCloseTo(m.reward_margin!, 4);
  });

  it('records the loss and reward curves, and checkpoints every checkpointEvery steps', async () => {
    const curves = await rt.lineage.metricsForRun(state.runId, { stage: 'aligned' });
    const byName = new Map(curves.map((c) => [c.name, c.points]));
    for (const name of ['train/loss', 'train/rewards/margin', 'train/rewards/accuracy', 'train/rewards/chosen', 'train/rewards/rejected']) expect(byName.get(name)).toHaveLength(20);
    const margin = byName.get('train/rewards/margin')!;
    expect(margin.at(-1)![1]).toBeGreaterThan(margin[0]![1]);
    const roots = await readdir(home.config.checkpointsRoot);
    const dirs = (await Promise.all(roots.map((r) => readdir(join(home.config.checkpointsRoot, r)).catch(() => [])))).flat();
    expect(dirs).toEqual(expect.arrayContaining(['step-00000010', 'step-00000020']));
  });

  it('keeps the reference log-probs as their own artifact in lineage, made from the tuned model', async () => {
    const refId = output(state, 'aligned', 'reference')!;
    const ref = await rt.store.get(refId);
    expect(ref.kind).toBe('report');
    expect(ref.meta).toMatchObject({ kind: 'dpo-reference', referenceModel: { stage: 'tuned', artifact: output(state, 'tuned', 'model') }, chatTemplate: { name: 'tulu' }, pairs: 32 });
    const up = await rt.lineage.upstream(refId);
    expect(up.some((u) => u.artifact.id === output(state, 'tuned', 'model'))).toBe(true);
    const model = await rt.store.get(output(state, 'aligned', 'model')!);
    expect(model.meta).toMatchObject({ reference: refId, tunedFrom: { stage: 'tuned' }, dpo: { lossType: 'dpo_norm', beta: 5, labelSmoothing: 0 }, chatTemplate: { name: 'tulu' } });
  });

  it('makes "weaker vs weakest" pairs from the tuned and the base model, and trains on them', async () => {
    const d = stageOf(state, 'delta');
    expect(d.status).toBe('completed');
    const pairsId = output(state, 'delta', 'pairs')!;
    const manifest = await readManifest(rt.store, pairsId);
    expect(manifest.docs + d.metrics.pairs_dropped!).toBe(32);
    expect(d.metrics.pairs).toBe(manifest.docs);
    const pairs = await rt.store.get(pairsId);
    expect(pairs.meta).toMatchObject({ shape: 'preference', pairsFrom: { chosen: { stage: 'tuned' }, rejected: { stage: 'base' } } });
    expect(d.metrics.first_loss).toBeCloseTo(Math.log(2), 4);
    expect(d.metrics.final_loss).toBeLessThan(d.metrics.first_loss!);
  });

  it('reuses the reference log-probs in a rerun with another beta (a new cache key for the stage), computing nothing again', async () => {
    const plan = compileRecipe(parseRecipeText(recipe.replace('with: { epochs: 5, batchSize: 8, checkpointEvery: 10 }', 'with: { steps: 4, batchSize: 8, checkpointEvery: 10, beta: 2 }')));
    const again = await awaitRunState((await startRun(rt.client!, plan, { noCache: false })).handle);
    expect(again.status).toBe('completed');
    expect(stageOf(again, 'tuned').cachedFrom).toBeDefined();
    const m = stageOf(again, 'aligned').metrics;
    expect(m).toMatchObject({ steps: 4, reference_cached: 1 });
    expect(m.first_loss).toBeCloseTo(Math.log(2), 4);
    expect(output(again, 'aligned', 'reference')).toBe(output(state, 'aligned', 'reference'));
  });

  it('refuses a bad dpo (both steps and epochs, the same model on both sides of pairs) with exit 2 and lines', async () => {
    const file = join(home.home, 'bad-dpo.yaml');
    await writeFile(file, recipe.replace('with: { epochs: 5,', 'with: { steps: 20, epochs: 5,').replace('rejected: base, maxNewTokens: 8', 'rejected: tuned, maxNewTokens: 8'));
    const r = await runBraise(['run', file, '--json'], home.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('line 26: stages[2].with.epochs: give steps or epochs, not both');
    expect(r.stderr).toContain('stages[3].with.pairs.rejected: "tuned" is also pairs.chosen: the pairs compare two different models');
  });
});
