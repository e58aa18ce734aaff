/**
 * `mixsearch` end to end on the real Temporal dev server and PGlite, as recipes/mixsearch.yaml ships: six
 * proxies, each a child run of its own (in lineage, completed, named after its parent, its options naming the
 * parent run and stage), a report whose proxies' losses are the child runs' own evaluate metrics and whose ρ is
 * over the held-out ones, a mixture the next pretrain trains on, and a rerun that takes everything from the cache
 * without starting a child (test/unit/ablation/refusals.test.ts: what the compiler refuses).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMixsearch } from '../../cli/render-ablation.ts';
import { spearman } from '../../ml/ablation/rank.ts';
import type { BraiseRuntime } from '../../infra/runtime.ts';
import { awaitRunState, startRun } from '../../infra/temporal/runs.ts';
import type { Plan } from '../../recipe/index.ts';
import type { RunState } from '../../workflows/state.ts';
import type { TestHome } from './harness.ts';
import { runRecipeFile, stageReport } from './run-recipe-file.ts';

const RECIPE_FILE = fileURLToPath(new URL('../../recipes/mixsearch.yaml', import.meta.url));

interface Report {
  format: string;
  proxies: Array<{ index: number; runId: string; weights: Record<string, number>; loss: number; heldOut: boolean; predicted: number }>;
  spearman: number | null;
  mixture: Record<string, number>;
  targetMetric: string;
}

describe('mixsearch stage', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let plan: Plan;
  let state: RunState;
  let report: Report;
  const stage = (id: string) => state.stages.find((s) => s.id === id)!;

  beforeAll(async () => {
    ({ home, rt, plan, state } = await runRecipeFile(RECIPE_FILE));
    report = await stageReport<Report>(rt, state, 'search');
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('trains its proxies as completed child runs named after it, and reports their own losses', async () => {
    expect(state.status).toBe('completed');
    expect(report.format).toBe('braise.mixsearch/v1');
    expect(report.proxies).toHaveLength(6);
    for (const p of report.proxies) {
      const run = (await rt.lineage.getRun(p.runId))!;
      expect(run.recipeName).toBe(`mixsearch-search-proxy-${p.index}`);
      expect(run.status).toBe('completed');
      expect(run.options).toMatchObject({ parent: { runId: state.runId, stageId: 'search' } });
      const steps = await rt.lineage.stepsForRun(p.runId);
      const evalStep = steps.find((s) => s.stageId === 'eval')!;
      const metrics = (evalStep.metrics ?? {}) as Record<string, number>;
      expect(metrics[report.targetMetric]).toBe(p.loss);
      expect(Object.values(p.weights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    }
    // Different mixtures train different proxies.
    expect(new Set(report.proxies.map((p) => p.loss)).size).toBeGreaterThan(1);
  });

  it("reports Spearman's rho of the held-out proxies' predicted against real losses", () => {
    const held = report.proxies.filter((p) => p.heldOut);
    expect(held).toHaveLength(3);
    expect(report.spearman).toBe(spearman(held.map((p) => p.predicted), held.map((p) => p.loss)));
    expect(stage('search').metrics.spearman).toBe(report.spearman);
  });

  it('hands its mixture to the pretrain that consumes it', () => {
    const domains = ['humor', 'mystery', 'science_fiction'];
    expect(Object.keys(report.mixture).sort()).toEqual(domains);
    expect(Object.values(report.mixture).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    for (const d of domains) {
      expect(stage('search').metrics[`weight/${d}`]).toBeCloseTo(report.mixture[d]!, 12);
      expect(stage('final').metrics[`weight/${d}`]).toBeCloseTo(report.mixture[d]!, 6);
    }
  });

  it('prints a row per proxy and the mixture it chose', () => {
    const printed = renderMixsearch('search', stage('search').metrics).join('\n');
    for (const p of report.proxies) expect(printed).toMatch(new RegExp(`^${p.index} .* ${p.loss.toFixed(4)}  ${p.predicted.toFixed(4)} +${p.heldOut ? 'held out' : 'fit'}$`, 'm'));
    for (const [d, w] of Object.entries(report.mixture)) expect(printed).toMatch(new RegExp(`^${d} +${w.toFixed(4)}$`, 'm'));
  });

  it('reruns from the cache without starting a child run', async () => {
    const before = (await rt.lineage.listRuns({ limit: 100 })).runs.length;
    const again = await awaitRunState((await startRun(rt.client!, plan, { noCache: false })).handle);
    expect(again.status).toBe('completed');
    const search = again.stages.find((s) => s.id === 'search')!;
    expect(search.cachedFrom).toEqual({ runId: state.runId, stageId: 'search' });
    expect(search.outputs).toEqual(stage('search').outputs);
    expect((await rt.lineage.listRuns({ limit: 100 })).runs.length).toBe(before + 1);
  });

});
