import { describe, expect, it } from 'vitest';
import { renderRun } from '../../../cli/render.ts';
import { evaluateMetricName, parseEvaluateMetric } from '../../../recipe/stages/evaluate.ts';
import type { RunView } from '../../../service/view.ts';

const task = 'perplexity';
const bpb = (domain: string, o: { baseline?: 'unigram' | 'bigram' | 'trigram'; model?: string; stderr?: boolean } = {}) => evaluateMetricName({ task, domain, metric: 'bits_per_byte', ...o });

function view(metrics: Record<string, number>): RunView {
  return {
    runId: 'r-1',
    workflowId: 'w',
    status: 'completed',
    temporalUiUrl: 'http://ui',
    stages: [{ id: 'eval', kind: 'evaluate', status: 'completed', attempts: 1, durationMs: 1000, outputs: [], metrics }],
  };
}

describe('evaluate metric names', () => {
  it('carry their unit: <task>/<domain>/bits_per_byte, <task>/exact_match, <task>/acc_norm, each with _stderr', () => {
    expect(bpb('news')).toBe('perplexity/news/bits_per_byte');
    expect(bpb('mean', { stderr: true })).toBe('perplexity/mean/bits_per_byte_stderr');
    expect(bpb('news', { baseline: 'trigram', model: 'base' })).toBe('base/baseline/trigram/perplexity/news/bits_per_byte');
    expect(evaluateMetricName({ task: 'arith', metric: 'exact_match' })).toBe('arith/exact_match');
    expect(evaluateMetricName({ task: 'mc', metric: 'acc_norm', stderr: true, model: 'sft' })).toBe('sft/mc/acc_norm_stderr');
  });

  it('round-trip with and without a baseline and a model prefix', () => {
    const parts = { model: null, baseline: null, task, metric: 'bits_per_byte', stderr: false };
    expect(parseEvaluateMetric(bpb('news'))).toEqual({ ...parts, domain: 'news' });
    expect(parseEvaluateMetric(bpb('news', { baseline: 'trigram' }))).toEqual({ ...parts, baseline: 'trigram', domain: 'news' });
    expect(parseEvaluateMetric(bpb('mean', { baseline: 'bigram', model: 'base', stderr: true }))).toEqual({ ...parts, model: 'base', baseline: 'bigram', domain: 'mean', stderr: true });
    // A model stage named "baseline" is a model, not a baseline.
    expect(parseEvaluateMetric(bpb('news', { model: 'baseline' }))).toEqual({ ...parts, model: 'baseline', domain: 'news' });
    expect(parseEvaluateMetric('a/mc/acc_stderr')).toEqual({ model: 'a', baseline: null, task: 'mc', domain: null, metric: 'acc', stderr: true });
    expect(parseEvaluateMetric('gen/exact_match')).toEqual({ model: null, baseline: null, task: 'gen', domain: null, metric: 'exact_match', stderr: false });
    expect(parseEvaluateMetric('rejected/gopher_short_doc')).toBeNull();
    expect(parseEvaluateMetric('final_loss')).toBeNull();
    expect(parseEvaluateMetric(`baseline/fourgram/${task}/news/bits_per_byte`)).toBeNull();
    expect(parseEvaluateMetric('a/b/c/gen/exact_match')).toBeNull();
  });
});

describe('renderRun', () => {
  it('says whose execution a waiting stage waits for, and whose outputs a cached stage took', () => {
    const out = renderRun({
      runId: 'r-2',
      workflowId: 'w',
      status: 'running',
      temporalUiUrl: 'http://ui',
      stages: [
        { id: 'web', kind: 'ingest', status: 'cached', attempts: 0, durationMs: 0, outputs: [], metrics: {}, cachedFrom: { runId: 'r-1', stageId: 'web' } },
        { id: 'clean', kind: 'filter', status: 'running', attempts: 0, durationMs: null, outputs: [], metrics: {}, waitingOn: { runId: 'r-1', stageId: 'clean' } },
        { id: 'dedup', kind: 'filter', status: 'running', attempts: 0, durationMs: null, outputs: [], metrics: {}, waitingOn: { runId: 'r-3', stageId: 'other' } },
      ],
    });
    const status = (stage: string) => out.split('\n').find((r) => r.startsWith(`${stage} `))?.split(/\s{2,}/)[2];
    expect(status('web')).toBe('cached (from r-1)');
    expect(status('clean')).toBe('waiting on run r-1');
    expect(status('dedup')).toBe('waiting on run r-3/other');
  });

  it("shows each domain's bits per byte beside the model's n-gram baselines", () => {
    const metrics: Record<string, number> = {};
    for (const [domain, model, uni, bi, tri] of [['news', 2.8, 4.5, 3.6, 3.0], ['lore', 2.9, 4.4, 3.5, 3.1]] as const) {
      metrics[bpb(domain)] = model;
      metrics[bpb(domain, { baseline: 'unigram' })] = uni;
      metrics[bpb(domain, { baseline: 'bigram' })] = bi;
      metrics[bpb(domain, { baseline: 'trigram' })] = tri;
    }
    metrics[bpb('mean')] = 2.85;
    metrics[bpb('mean', { stderr: true })] = 0.05;
    metrics[bpb('mean', { baseline: 'trigram' })] = 3.05;
    const out = renderRun(view(metrics));
    expect(out).toMatch(/perplexity\/mean\/bits_per_byte=2\.8500 baseline\/trigram\/perplexity\/mean\/bits_per_byte=3\.0500/);
    expect(out).toContain('baselines: byte n-grams fitted on the training documents');
    const rows = out.split('\n');
    expect(rows.find((r) => r.startsWith('DOMAIN'))!.split(/\s+/)).toEqual(['DOMAIN', 'BITS/BYTE', 'UNIGRAM', 'BIGRAM', 'TRIGRAM']);
    expect(rows.find((r) => r.startsWith('news'))!.split(/\s+/)).toEqual(['news', '2.8000', '4.5000', '3.6000', '3.0000']);
    expect(rows.find((r) => r.startsWith('lore'))!.split(/\s+/)).toEqual(['lore', '2.9000', '4.4000', '3.5000', '3.1000']);
    expect(rows.find((r) => r.startsWith('(model)'))).toBe('(model)  2.8500 ± 0.0500');
  });

  it('labels columns by model stage when several models are scored', () => {
    const out = renderRun(view({ [bpb('news', { model: 'a' })]: 2.5, [bpb('news', { model: 'a', baseline: 'trigram' })]: 3, [bpb('news', { model: 'b' })]: 2.7 }));
    expect(out.split('\n').find((r) => r.startsWith('DOMAIN'))).toBe('DOMAIN  a BITS/BYTE  a TRIGRAM  b BITS/BYTE');
  });

  it('prints one table of models by task metric, each value ± its standard error', () => {
    const metrics: Record<string, number> = {};
    for (const [model, ppl, em, acc] of [['base', 3.1, 0, 0.25], ['sft', 2.9, 0.5, 0.75]] as const) {
      metrics[bpb('mean', { model })] = ppl;
      metrics[bpb('mean', { model, stderr: true })] = 0.1;
      metrics[evaluateMetricName({ model, task: 'arith', metric: 'exact_match' })] = em;
      metrics[evaluateMetricName({ model, task: 'arith', metric: 'exact_match', stderr: true })] = 0.125;
      metrics[evaluateMetricName({ model, task: 'mc', metric: 'acc' })] = acc;
      metrics[evaluateMetricName({ model, task: 'mc', metric: 'acc_norm' })] = acc;
    }
    const rows = renderRun(view(metrics)).split('\n');
    const at = rows.findIndex((r) => r.startsWith('eval: tasks by model'));
    expect(rows[at]).toBe('eval: tasks by model (every model on the same rows and windows; ± standard error)');
    expect(rows[at + 1]!.split(/\s{2,}/)).toEqual(['MODEL', 'perplexity bits_per_byte (mean)', 'arith exact_match', 'mc acc', 'mc acc_norm']);
    expect(rows[at + 2]!.split(/\s{2,}/)).toEqual(['base', '3.1000 ± 0.1000', '0.0000 ± 0.1250', '0.2500', '0.2500']);
    expect(rows[at + 3]!.split(/\s{2,}/)).toEqual(['sft', '2.9000 ± 0.1000', '0.5000 ± 0.1250', '0.7500', '0.7500']);
  });

  it('lists models in the run\'s stage order, whatever order the metrics come in (read back from lineage)', () => {
    const metrics = { [bpb('mean', { model: 'sft' })]: 2.9, [bpb('mean', { model: 'base' })]: 3.1, [bpb('news', { model: 'sft' })]: 2.9, [bpb('news', { model: 'base' })]: 3.1 };
    const v = view(metrics);
    v.stages.unshift(
      { id: 'base', kind: 'pretrain', status: 'completed', attempts: 1, durationMs: 1, outputs: [], metrics: {} },
      { id: 'sft', kind: 'sft', status: 'completed', attempts: 1, durationMs: 1, outputs: [], metrics: {} },
    );
    const rows = renderRun(v).split('\n');
    const at = rows.findIndex((r) => r.startsWith('eval: tasks by model'));
    expect([rows[at + 2]!.split(/\s+/)[0], rows[at + 3]!.split(/\s+/)[0]]).toEqual(['base', 'sft']);
    expect(rows.find((r) => r.startsWith('DOMAIN'))).toBe('DOMAIN  base BITS/BYTE  sft BITS/BYTE');
  });
});
