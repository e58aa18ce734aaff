/**
 * recipes/tulu3-mini.yaml end to end as a user runs it — `braise run` in a new home, with tiny settings through
 * `--set` (its own settings take minutes) — pretrain → upsample → sft → dpo → rlvr → merge → evaluate as one
 * workflow; then `npm run report:tulu3`'s script on the same home, every stage cached, printing the table.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../datasets/artifact-store.ts';
import type { RunView } from '../../service/view.ts';
import { runBraise, runNode } from '../support/braise-cli.ts';
import { testHome, type TestHome } from './harness.ts';

const RECIPE = fileURLToPath(new URL('../../recipes/tulu3-mini.yaml', import.meta.url));
const REPORT = fileURLToPath(new URL('../../scripts/report-tulu3.ts', import.meta.url));

const TASKS = [
  'perplexity',
  { task: 'generate', name: 'arithmetic', data: 'sums', maxNewTokens: 4, extract: 'last_number', limit: 8 },
  { task: 'multiple_choice', name: 'arithmetic_mc', data: 'choices', limit: 8 },
];

/** Tiny settings: a few steps a stage (upsample from base's checkpoint at step 10 of 20). */
const TINY = [
  'stages.base.steps=20',
  'stages.base.checkpointEvery=10',
  'stages.upsampled.fraction=0.5',
  'stages.upsampled.checkpointEvery=5',
  'stages.sft.steps=8',
  'stages.sft.checkpointEvery=4',
  'stages.dpo.steps=4',
  'stages.dpo.checkpointEvery=2',
  'stages.rlvr.steps=2',
  'stages.rlvr.promptsPerStep=2',
  'stages.rlvr.samplesPerPrompt=2',
  'stages.rlvr.checkpointEvery=1',
  'stages.eval.maxDocsPerDomain=2',
  `stages.eval.tasks=${JSON.stringify(TASKS)}`,
];

const MODELS = ['base', 'upsampled', 'sft', 'dpo', 'rlvr', 'merged'];

const report = (env: Record<string, string>) => runNode(['--import', 'tsx', REPORT, '--set', ...TINY], env);

describe('recipes/tulu3-mini.yaml', () => {
  let home: TestHome;
  let view: RunView;
  beforeAll(async () => {
    home = await testHome('pglite');
    const r = await runBraise(['run', RECIPE, '--json', '--set', ...TINY], home.env);
    expect(r.code, r.stderr).toBe(0);
    view = JSON.parse(r.stdout) as RunView;
  }, 600_000);
  afterAll(async () => home?.cleanup());

  it('runs pretrain → upsample → sft → dpo → rlvr → merge → evaluate as one run', () => {
    expect(view.status).toBe('completed');
    const stages = view.stages.filter((s) => s.kind !== 'ingest');
    expect(stages.map((s) => [s.id, s.kind])).toEqual([
      ['clean', 'filter'],
      ['base', 'pretrain'],
      ['upsampled', 'upsample'],
      ['sft', 'sft'],
      ['dpo', 'dpo'],
      ['rlvr', 'rlvr'],
      ['merged', 'merge'],
      ['eval', 'evaluate'],
    ]);
    for (const s of view.stages) expect(s.status, s.id).toBe('completed');
    const metric = (id: string, name: string) => view.stages.find((s) => s.id === id)!.metrics[name];
    expect(metric('base', 'steps')).toBe(20);
    expect(metric('upsampled', 'steps')).toBe(20); // steps 11–20 again, from base's checkpoint at step 10
    expect(metric('sft', 'steps')).toBe(8);
    expect(metric('dpo', 'first_loss')).toBeCloseTo(Math.log(2), 4); // policy = reference at the first step
    expect(metric('rlvr', 'steps')).toBe(2);
    // Six different models: each stage changed its input.
    const modelOf = (id: string) => view.stages.find((s) => s.id === id)!.outputs.find((o) => o.port === 'model')!.artifactId;
    expect(new Set(MODELS.map(modelOf)).size).toBe(6);
  });

  it('keeps the chat template on every tuned model and on the merge of two of them', async () => {
    const store = new ArtifactStore(home.config.artifactsRoot);
    const modelOf = (id: string) => view.stages.find((s) => s.id === id)!.outputs.find((o) => o.port === 'model')!.artifactId;
    for (const id of ['sft', 'dpo', 'rlvr', 'merged']) expect((await store.get(modelOf(id))).meta.chatTemplate, id).toMatchObject({ name: 'tulu' });
    expect((await store.get(modelOf('merged'))).meta.chatTemplateFrom).toBe('dpo');
    expect((await store.get(modelOf('base'))).meta.chatTemplate).toBeUndefined();
  });

  it('evaluates every model on the same held-out tasks, each metric with its standard error', () => {
    const m = view.stages.find((s) => s.id === 'eval')!.metrics;
    for (const model of MODELS) {
      for (const name of ['arithmetic/exact_match', 'arithmetic_mc/acc', 'arithmetic_mc/acc_norm', 'perplexity/mean/bits_per_byte']) {
        expect(m[`${model}/${name}`], `${model}/${name}`).toBeGreaterThanOrEqual(0);
        expect(m[`${model}/${name}_stderr`], `${model}/${name}_stderr`).toBeGreaterThanOrEqual(0);
      }
      expect(m[`${model}/perplexity/mean/bits_per_byte`]).toBeGreaterThan(0);
    }
  });

  it('records the lineage of the merged model back through every stage to the datasets', async () => {
    const merged = view.stages.find((s) => s.id === 'merged')!.outputs[0]!.artifactId;
    const lin = await runBraise(['lineage', merged, '--json'], home.env);
    expect(lin.code, lin.stderr).toBe(0);
    const tree = JSON.parse(lin.stdout) as { upstream: Array<{ producedBy: { stageId: string } }> };
    expect(new Set(tree.upstream.map((u) => u.producedBy.stageId))).toEqual(
      new Set(['rlvr', 'dpo', 'sft', 'upsampled', 'base', 'clean', 'web', 'math', 'instructions', 'preferences', 'prompts']),
    );
  });

  it('npm run report:tulu3 prints the table of models from the cached run', async () => {
    const r = await report(home.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('all stages cached');
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| '));
    const header = rows[0]!;
    expect(header).toBe('| model | perplexity bits_per_byte (mean) | arithmetic exact_match | arithmetic_mc acc | arithmetic_mc acc_norm |');
    for (const model of MODELS) expect(rows.find((l) => l.startsWith(`| ${model} |`)), model).toMatch(/^\| \w+ \| \d\.\d{4} ± \d\.\d{4} \| \d\.\d{4} ± \d\.\d{4} \| /);
    expect(r.stdout).toMatch(/\| dpo \| dpo \| cached \|/);
  });
});
