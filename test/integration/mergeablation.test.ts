/**
 * `mergeablation` end to end on the real Temporal dev server and PGlite, as recipes/mergeablation.yaml ships:
 * three units (Brown genres) continued from one shared base in a child run of the stage (in lineage, completed,
 * its options naming the parent), every set of 2–3 units scored by the merge of its units' models, three unions
 * trained for real, and a report whose numbers are the child run's own evaluate metrics and whose ρ is over the
 * real unions. A rerun is cached (test/unit/ablation/refusals.test.ts: what the compiler refuses).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMergeablation } from '../../cli/render-ablation.ts';
import { spearman } from '../../ml/ablation/rank.ts';
import type { BraiseRuntime } from '../../infra/runtime.ts';
import { awaitRunState, startRun } from '../../infra/temporal/runs.ts';
import { compileRecipe, parseRecipeText, type Plan } from '../../recipe/index.ts';
import type { RunState } from '../../workflows/state.ts';
import type { TestHome } from './harness.ts';
import { runRecipeFile, stageReport } from './run-recipe-file.ts';

const RECIPE_FILE = fileURLToPath(new URL('../../recipes/mergeablation.yaml', import.meta.url));

interface Report {
  format: string;
  childRunId: string;
  units: Array<{ unit: string; stage: string; bitsPerByte: number }>;
  candidates: Array<{ units: string[]; stage: string; proxyBitsPerByte: number }>;
  realUnions: Array<{ units: string[]; candidate: number; stage: string; proxyBitsPerByte: number; realBitsPerByte: number }>;
  spearman: number | null;
  best: { units: string[]; proxyBitsPerByte: number };
}

describe('mergeablation stage', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let plan: Plan;
  let state: RunState;
  let report: Report;
  const stage = (id: string) => state.stages.find((s) => s.id === id)!;

  beforeAll(async () => {
    ({ home, rt, plan, state } = await runRecipeFile(RECIPE_FILE));
    report = await stageReport<Report>(rt, state, 'ablate');
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('trains one model per unit from one base in a completed child run, and merges every candidate', async () => {
    expect(state.status).toBe('completed');
    expect(report.format).toBe('braise.mergeablation/v1');
    const run = (await rt.lineage.getRun(report.childRunId))!;
    expect(run).toMatchObject({ recipeName: 'mergeablation-ablate-models', status: 'completed', options: { parent: { runId: state.runId, stageId: 'ablate' } } });
    expect(report.units.map((u) => u.unit)).toEqual(['humor', 'mystery', 'science_fiction']);
    expect(report.candidates.map((c) => c.units)).toEqual([
      ['humor', 'mystery'],
      ['humor', 'science_fiction'],
      ['mystery', 'science_fiction'],
      ['humor', 'mystery', 'science_fiction'],
    ]);
    const steps = await rt.lineage.stepsForRun(report.childRunId);
    const byStage = new Map(steps.map((s) => [s.stageId, s]));
    // Every unit and union continues the same base model.
    const base = byStage.get('base')!.outputs.find((o) => o.port === 'model')!.artifactId;
    for (const id of ['unit-0', 'unit-1', 'unit-2', 'union-0', 'union-1', 'union-2']) expect(byStage.get(id)!.inputs.map((i) => i.artifactId)).toEqual([base]);
    // A candidate's proxy merges exactly its units' models.
    const model = (id: string) => byStage.get(id)!.outputs.find((o) => o.port === 'model')!.artifactId;
    expect(byStage.get('merge-0')!.inputs.map((i) => i.artifactId).sort()).toEqual([model('unit-0'), model('unit-1')].sort());
    const evalMetrics = (byStage.get('eval')!.metrics ?? {}) as Record<string, number>;
    for (const c of report.candidates) expect(evalMetrics[`${c.stage}/perplexity/mean/bits_per_byte`]).toBe(c.proxyBitsPerByte);
    for (const u of report.realUnions) expect(evalMetrics[`${u.stage}/perplexity/mean/bits_per_byte`]).toBe(u.realBitsPerByte);
  });

  it("reports proxy against real for the unions trained for real, and Spearman's rho between them", () => {
    expect(report.realUnions.map((u) => u.candidate)).toEqual([0, 2, 3]);
    for (const u of report.realUnions) expect(u.proxyBitsPerByte).toBe(report.candidates[u.candidate]!.proxyBitsPerByte);
    expect(report.spearman).toBe(spearman(report.realUnions.map((u) => u.proxyBitsPerByte), report.realUnions.map((u) => u.realBitsPerByte)));
    expect(stage('ablate').metrics.spearman).toBe(report.spearman);
    expect(report.best.proxyBitsPerByte).toBe(Math.min(...report.candidates.map((c) => c.proxyBitsPerByte)));
  });

  it('prints its units and candidates, proxy beside real', () => {
    const printed = renderMergeablation('ablate', stage('ablate').metrics).join('\n');
    for (const u of report.units) expect(printed).toMatch(new RegExp(`^${u.unit} +${u.bitsPerByte.toFixed(4)}$`, 'm'));
    const real = new Map(report.realUnions.map((u) => [u.candidate, u.realBitsPerByte.toFixed(4)]));
    report.candidates.forEach((c, j) => expect(printed).toMatch(new RegExp(`^${c.units.join(' \\+ ')} +${c.proxyBitsPerByte.toFixed(4)}  ${real.get(j) ?? '-'}$`, 'm')));
  });

  it('with units: N, splits its data into N equal units and ablates those', async () => {
    const text = (await readFile(RECIPE_FILE, 'utf8'))
      .replace('name: mergeablation', 'name: mergeunits')
      .replace('maxSize: 3 ', 'units: 3\n      candidates: [[unit-0, unit-1], [unit-1, unit-2]]\n      maxSize: 3 ')
      .replace('realUnions: 3 ', 'realUnions: 2 ');
    const run = await awaitRunState((await startRun(rt.client!, compileRecipe(parseRecipeText(text)), { noCache: false })).handle);
    expect(run.status).toBe('completed');
    const r = await stageReport<Report>(rt, run, 'ablate');
    expect(r.units.map((u) => u.unit)).toEqual(['unit-0', 'unit-1', 'unit-2']);
    expect(r.realUnions.map((u) => u.units)).toEqual([['unit-0', 'unit-1'], ['unit-1', 'unit-2']]);
    // The child trained on one dataset: the input documents, each in one unit.
    const steps = await rt.lineage.stepsForRun(r.childRunId);
    const base = steps.find((s) => s.stageId === 'base')!;
    expect(base.inputs).toHaveLength(1);
    const child = (await rt.lineage.getRun(r.childRunId))!;
    expect(child.recipeName).toBe('mergeunits-ablate-models');
  });

  it('reruns from the cache without starting a child run', async () => {
    const before = (await rt.lineage.listRuns({ limit: 100 })).runs.length;
    const again = await awaitRunState((await startRun(rt.client!, plan, { noCache: false })).handle);
    expect(again.status).toBe('completed');
    expect(again.stages.find((s) => s.id === 'ablate')!.cachedFrom).toEqual({ runId: state.runId, stageId: 'ablate' });
    expect((await rt.lineage.listRuns({ limit: 100 })).runs.length).toBe(before + 1);
  });

});
