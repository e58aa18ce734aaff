/**
 * A recipe end to end on the real Temporal dev server, against PGlite and (when
 * DATABASE_URL is set) a real Postgres: stages run, loss falls, evaluation
 * reports bits per byte by genre, lineage links the report back to the source
 * dataset, and a second run reuses every stage from the cache.
 */
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRecipe, parseRecipeText, type Plan } from '../../recipe/index.ts';
import { openRuntime, type BraiseRuntime } from '../../infra/runtime.ts';
import { awaitRunState, startRun } from '../../infra/temporal/runs.ts';
import type { RunState } from '../../workflows/state.ts';
import { databases, testHome, type TestHome } from './harness.ts';
import { tinyRecipe } from './recipes.ts';

describe.each(databases())('recipe run on %s', (db) => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let plan: Plan;
  let first: RunState;

  beforeAll(async () => {
    home = await testHome(db);
    rt = await openRuntime({ config: home.config, queues: ['control', 'cpu', 'gpu'] });
    plan = compileRecipe(parseRecipeText(tinyRecipe({ name: `e2e-${db}` })));
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('runs filter → pretrain → evaluate to completion', async () => {
    const run = await startRun(rt.client!, plan, { noCache: false });
    first = await awaitRunState(run.handle);
    expect(first.status).toBe('completed');
    expect(first.stages.map((s) => [s.id, s.status])).toEqual([
      ['web', 'completed'],
      ['noise', 'completed'],
      ['clean', 'completed'],
      ['base', 'completed'],
      ['eval', 'completed'],
    ]);
    const clean = first.stages.find((s) => s.id === 'clean')!;
    // 15 Brown documents (science fiction, humor) and 3 junk ones
    expect(clean.metrics.docs).toBe(18);
    expect(clean.metrics.kept! + clean.metrics.rejected!).toBe(18);
    // the 3 junk documents and the 4 Brown ones under 2050 words
    expect(clean.metrics.rejected).toBe(7);
    expect(clean.metrics['rejected/gopher_short_doc']).toBeGreaterThanOrEqual(5);

    const base = first.stages.find((s) => s.id === 'base')!;
    expect(base.metrics.steps).toBe(40);
    expect(base.metrics.final_loss).toBeLessThan(base.metrics.first_loss! * 0.8);

    const ev = first.stages.find((s) => s.id === 'eval')!;
    // One bits-per-byte figure per genre trained on, plus their mean.
    const domains = Object.keys(ev.metrics).filter((k) => /^perplexity\/[^/]+\/bits_per_byte$/.test(k) && !k.startsWith('perplexity/mean/'));
    expect(domains.sort()).toEqual(['perplexity/humor/bits_per_byte', 'perplexity/science_fiction/bits_per_byte']);
    for (const d of domains) {
      expect(ev.metrics[d]).toBeGreaterThan(0.5);
      expect(ev.metrics[d]).toBeLessThan(8);
      // Beside it, the byte n-gram baselines of the model's training documents, each order better than the last.
      const [uni, bi, tri] = (['unigram', 'bigram', 'trigram'] as const).map((b) => ev.metrics[`baseline/${b}/${d}`]!);
      expect(uni).toBeGreaterThan(bi!);
      expect(bi).toBeGreaterThan(tri!);
      expect(tri).toBeGreaterThan(0.5);
    }
  });

  it('records runs, steps, metrics and lineage back to the source dataset', async () => {
    const run = await rt.lineage.getRun(first.runId);
    expect(run?.status).toBe('completed');
    const steps = await rt.lineage.stepsForRun(first.runId);
    expect(steps.map((s) => s.stageId).sort()).toEqual(['base', 'clean', 'eval', 'noise', 'web']);
    const loss = await rt.lineage.metricsForRun(first.runId, { stage: 'base', name: 'train/loss' });
    expect(loss[0]?.points.length).toBe(40);

    const report = first.stages.find((s) => s.id === 'eval')!.outputs[0]!;
    const up = await rt.lineage.upstream(report.artifactId);
    const producers = up.map((u) => u.producedBy?.stageId);
    expect(producers).toEqual(expect.arrayContaining(['base', 'clean', 'web', 'noise']));
    const sources = up.filter((u) => u.producedBy?.kind === 'ingest');
    expect(sources.map((s) => s.artifact.kind)).toEqual(['dataset', 'dataset']);
  });

  it('reuses every stage on a second run: nothing recomputed, same artifacts', async () => {
    const before = await readdir(rt.config.artifactsRoot);
    const again = await startRun(rt.client!, plan, { noCache: false });
    const second = await awaitRunState(again.handle);
    expect(second.stages.map((s) => s.status)).toEqual(['cached', 'cached', 'cached', 'cached', 'cached']);
    expect(second.stages.map((s) => s.outputs)).toEqual(first.stages.map((s) => s.outputs));
    expect(await readdir(rt.config.artifactsRoot)).toEqual(before);
    const steps = await rt.lineage.stepsForRun(again.runId);
    expect(steps.every((s) => s.status === 'cached')).toBe(true);
    // Each cached step records what it consumed and produced, as the run that computed it did.
    const edgesOf = (ss: typeof steps) => ss.map((s) => ({ stage: s.stageId, inputs: s.inputs, outputs: s.outputs }));
    expect(edgesOf(steps)).toEqual(edgesOf(await rt.lineage.stepsForRun(first.runId)));
    // The whole cached plan is looked up in one control call: startRun, prepareCached, setRunStatus.
    const history = await again.handle.fetchHistory();
    expect(history.events?.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(3);
  });
});
