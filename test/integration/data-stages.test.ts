/**
 * recipes/data-stages.yaml end to end, as shipped: every data stage (filter
 * with every rule, decontamination, MinHash and a learned classifier; REWIRE
 * rewriting; a temperature mixture; DoReMi reweighting against a reference model and a dataset-
 * decomposition curriculum in pretraining; evaluation) on the real platform.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDatasetAll, readManifest } from '../../datasets/dataset.ts';
import type { BraiseRuntime } from '../../infra/runtime.ts';
import type { RunState } from '../../workflows/state.ts';
import type { TestHome } from './harness.ts';
import { runRecipeFile } from './run-recipe-file.ts';

const RECIPE = fileURLToPath(new URL('../../recipes/data-stages.yaml', import.meta.url));

describe('recipes/data-stages.yaml', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let state: RunState;
  const stage = (id: string) => state.stages.find((s) => s.id === id)!;
  const output = (id: string, port: string) => stage(id).outputs.find((o) => o.port === port)!.artifactId;

  beforeAll(async () => {
    ({ home, rt, state } = await runRecipeFile(RECIPE));
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('completes every stage', () => {
    expect(state.status).toBe('completed');
    expect(state.stages.every((s) => s.status === 'completed')).toBe(true);
  });

  it('filter: decontaminates against the eval set, drops low-quality documents, records why', async () => {
    const m = stage('clean').metrics;
    expect(m.docs).toBe(194);
    expect(m['rejected/contaminated']).toBeGreaterThan(0);
    expect(m['rejected/low_quality']).toBeGreaterThan(0);
    const rejected = await readDatasetAll(rt.store, output('clean', 'rejected'));
    const contaminated = rejected.filter((d) => d.meta?.rejectionReason === 'contaminated');
    expect(contaminated.length).toBe(m['rejected/contaminated']);
    // the removed documents name the evaluation items they matched
    const matches = contaminated[0]!.meta!.contamination as Array<{ set: string; id: string }>;
    expect(matches[0]!.id).toMatch(/brown-cloze/);
  });

  it('rewrite: every rewritten document names its source; the classifier keeps the better half', async () => {
    const docs = await readDatasetAll(rt.store, output('rewired', 'rewritten'));
    const rejected = new Set((await readDatasetAll(rt.store, output('clean', 'rejected'))).map((d) => d.id));
    expect(docs.length).toBe(stage('rewired').metrics.kept);
    expect(docs.length).toBe(Math.floor(0.5 * stage('rewired').metrics.rewritten!));
    for (const d of docs) expect(rejected.has(d.meta!.sourceId as string)).toBe(true);
  });

  it('mix: temperature weights with per-domain token accounting in the manifest', async () => {
    const manifest = (await readManifest(rt.store, output('mixed', 'mixed'))) as unknown as { mixture: { method: string; weights: Record<string, number>; tokensByDomain: Record<string, number> } };
    expect(manifest.mixture.method).toBe('temperature');
    const w = Object.values(manifest.mixture.weights);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const total = Object.values(manifest.mixture.tokensByDomain).reduce((a, b) => a + b, 0);
    expect(total).toBe(stage('mixed').metrics.tokens);
  });

  it('pretrain: DoReMi moves the domain weights during training, records their trajectory and reports its time average', async () => {
    const base = stage('base').metrics;
    const weights = Object.entries(base).filter(([k]) => k.startsWith('weight/'));
    expect(weights.length).toBe(4);
    expect(weights.reduce((a, [, v]) => a + v, 0)).toBeCloseTo(1, 5);
    const series = await rt.lineage.metricsForRun(state.runId, { stage: 'base' });
    const trajectories = series.filter((s) => s.name.startsWith('mixture/'));
    expect(trajectories.length).toBe(4);
    // At the start and after each of the 6 updates: the reported weights are their mean (DoReMi's output).
    for (const t of trajectories) {
      expect(t.points.length).toBe(7);
      expect(new Set(t.points.map(([, w]) => w)).size).toBeGreaterThan(1);
      expect(base[`weight/${t.name.slice('mixture/'.length)}`]).toBeCloseTo(t.points.reduce((a, [, w]) => a + w, 0) / 7, 6);
    }
    expect(base.final_loss).toBeLessThan(base.first_loss!);
  });

  it('pretrain: the decomposition curriculum spends fewer attention FLOPs per token than concat-and-chunk', () => {
    const dd = stage('dd').metrics;
    expect(dd.attention_flops_per_token).toBeLessThan(dd.concat_chunk_attention_flops_per_token!);
    expect(dd.final_loss).toBeLessThan(dd.first_loss!);
  });

  it('evaluate: bits per byte on each model\'s held-out documents, by domain', () => {
    const m = stage('eval').metrics;
    const domains = (model: string) => Object.keys(m).filter((k) => new RegExp(`^${model}/perplexity/[^/]+/bits_per_byte$`).test(k) && !k.startsWith(`${model}/perplexity/mean/`));
    // base trained on the four Brown genres (mixed); dd on e-mail
    expect(domains('base').length).toBeGreaterThanOrEqual(4);
    expect(domains('dd').length).toBeGreaterThanOrEqual(1);
  });
});
