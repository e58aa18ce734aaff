/**
 * The `evaluate` stage end to end on the real Temporal dev server and PGlite, as recipes/evaluate.yaml
 * ships: a tiny pretrain, SFT on the addition pairs, then one evaluate stage over both models with a
 * perplexity, a generate (exact match) and a multiple_choice (acc, acc_norm) task. Both models are scored
 * on the same rows and windows, every metric has its standard error, the tuned model is prompted in its
 * chat template, and `braise status` prints the table of models by task a user reads.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BraiseRuntime } from '../../infra/runtime.ts';
import type { RunState } from '../../workflows/state.ts';
import { runBraise } from '../support/braise-cli.ts';
import type { TestHome } from './harness.ts';
import { runRecipeFile } from './run-recipe-file.ts';

const RECIPE_FILE = fileURLToPath(new URL('../../recipes/evaluate.yaml', import.meta.url));
const METRICS = ['perplexity/mean/bits_per_byte', 'sums/exact_match', 'sums_mc/acc', 'sums_mc/acc_norm'];

describe('evaluate stage', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let state: RunState;
  const stage = (id: string) => state.stages.find((s) => s.id === id)!;

  beforeAll(async () => {
    ({ home, rt, state } = await runRecipeFile(RECIPE_FILE));
  });
  afterAll(async () => {
    await rt?.close();
    await home?.cleanup();
  });

  it('scores both models on every task, each metric with its standard error', () => {
    expect(state.status).toBe('completed');
    const m = stage('eval').metrics;
    for (const model of ['base', 'tuned']) {
      for (const name of METRICS) {
        expect(m[`${model}/${name}`], `${model}/${name}`).toBeGreaterThanOrEqual(0);
        expect(m[`${model}/${name}_stderr`], `${model}/${name}_stderr`).toBeGreaterThanOrEqual(0);
      }
      for (const name of METRICS.slice(1)) expect(m[`${model}/${name}`]).toBeLessThanOrEqual(1);
      expect(m[`${model}/perplexity/news/bits_per_byte`]).toBeGreaterThan(0.5);
    }
    // Only the pretrained model has training documents of its own to fit n-gram baselines on.
    expect(m['base/baseline/trigram/perplexity/news/bits_per_byte']).toBeGreaterThan(0);
    expect(m['tuned/baseline/trigram/perplexity/news/bits_per_byte']).toBeUndefined();
  });

  it('uses the same rows and windows for both models, and the tuned model its chat template', async () => {
    const reportId = stage('eval').outputs.find((o) => o.port === 'report')!.artifactId;
    const report = JSON.parse(await readFile(join(rt.store.dir(reportId), 'report.json'), 'utf8')) as {
      context: number;
      models: Array<{ stage: string; chatTemplate: boolean; result: { perDomain: Record<string, { bytes: number; docs: number }>; tasks: Record<string, { rows: number; samples: Array<{ id: string; prompt: string; target: string }> }> } }>;
    };
    expect(report.context).toBe(64);
    const [base, tuned] = report.models;
    expect([base!.stage, tuned!.stage]).toEqual(['base', 'tuned']);
    expect([base!.chatTemplate, tuned!.chatTemplate]).toEqual([false, true]);
    expect(tuned!.result.perDomain).toEqual(expect.objectContaining({ news: expect.objectContaining({ docs: 4, bytes: base!.result.perDomain['news']!.bytes }) }));
    for (const task of ['sums', 'sums_mc']) {
      expect(base!.result.tasks[task]!.rows).toBe(16);
      const rows = (r: typeof base) => r!.result.tasks[task]!.samples.map((s) => [s.id, s.prompt, s.target]);
      expect(rows(tuned)).toEqual(rows(base));
    }
  });

  // Last: it closes the runtime, so that the CLI can open the home's embedded lineage database itself.
  it('braise status prints one table of the models by task metric, ± standard error', async () => {
    await rt.close();
    rt = undefined as unknown as BraiseRuntime;
    const r = await runBraise(['status', state.runId], home.env);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.indexOf('eval: tasks by model (every model on the same rows and windows; ± standard error)');
    expect(at, r.stdout).toBeGreaterThan(0);
    expect(lines[at + 1]!.split(/\s{2,}/)).toEqual(['MODEL', 'perplexity bits_per_byte (mean)', 'sums exact_match', 'sums_mc acc', 'sums_mc acc_norm']);
    const m = stage('eval').metrics;
    for (const [i, model] of ['base', 'tuned'].entries()) {
      const cells = METRICS.map((name) => `${m[`${model}/${name}`]!.toFixed(4)} ± ${m[`${model}/${name}_stderr`]!.toFixed(4)}`);
      expect(lines[at + 2 + i]!.split(/\s{2,}/)).toEqual([model, ...cells]);
    }
  });
});
