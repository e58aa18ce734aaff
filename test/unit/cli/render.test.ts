import { describe, expect, it } from 'vitest';
import { renderRun } from '../../../cli/render.ts';
import { evaluateMetricName, parseEvaluateMetric } from '../../../recipe/stages/evaluate.ts';
import type { RunView } from '../../../service/view.ts';

const task = 'perplexity-by-domain';

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
  it('round-trip with and without a baseline and a model prefix', () => {
    expect(parseEvaluateMetric(evaluateMetricName(task, 'news'))).toEqual({ model: null, baseline: null, task, domain: 'news' });
    expect(parseEvaluateMetric(evaluateMetricName(task, 'news', 'trigram'))).toEqual({ model: null, baseline: 'trigram', task, domain: 'news' });
    expect(parseEvaluateMetric(`base/${evaluateMetricName(task, 'mean', 'bigram')}`)).toEqual({ model: 'base', baseline: 'bigram', task, domain: 'mean' });
    expect(parseEvaluateMetric(`baseline/${evaluateMetricName(task, 'news')}`)).toEqual({ model: 'baseline', baseline: null, task, domain: 'news' });
    expect(parseEvaluateMetric('rejected/gopher_short_doc')).toBeNull();
    expect(parseEvaluateMetric(`baseline/fourgram/${task}/news`)).toBeNull();
  });
});

describe('renderRun', () => {
  it("shows each domain's bits per byte beside the model's n-gram baselines", () => {
    const metrics: Record<string, number> = {};
    for (const [domain, model, uni, bi, tri] of [['news', 2.8, 4.5, 3.6, 3.0], ['lore', 2.9, 4.4, 3.5, 3.1]] as const) {
      metrics[evaluateMetricName(task, domain)] = model;
      metrics[evaluateMetricName(task, domain, 'unigram')] = uni;
      metrics[evaluateMetricName(task, domain, 'bigram')] = bi;
      metrics[evaluateMetricName(task, domain, 'trigram')] = tri;
    }
    metrics[evaluateMetricName(task, 'mean')] = 2.85;
    metrics[evaluateMetricName(task, 'mean', 'trigram')] = 3.05;
    const out = renderRun(view(metrics));
    expect(out).toMatch(/perplexity-by-domain\/mean=2\.8500 baseline\/trigram\/perplexity-by-domain\/mean=3\.0500/);
    expect(out).toContain('baselines: byte n-grams fitted on the training documents');
    const rows = out.split('\n');
    expect(rows.find((r) => r.startsWith('DOMAIN'))!.split(/\s+/)).toEqual(['DOMAIN', 'BITS/BYTE', 'UNIGRAM', 'BIGRAM', 'TRIGRAM']);
    expect(rows.find((r) => r.startsWith('news'))!.split(/\s+/)).toEqual(['news', '2.8000', '4.5000', '3.6000', '3.0000']);
    expect(rows.find((r) => r.startsWith('lore'))!.split(/\s+/)).toEqual(['lore', '2.9000', '4.4000', '3.5000', '3.1000']);
  });

  it('labels columns by model stage when several models are scored', () => {
    const out = renderRun(view({ [`a/${evaluateMetricName(task, 'news')}`]: 2.5, [`a/${evaluateMetricName(task, 'news', 'trigram')}`]: 3, [`b/${evaluateMetricName(task, 'news')}`]: 2.7 }));
    expect(out.split('\n').find((r) => r.startsWith('DOMAIN'))).toBe('DOMAIN  a BITS/BYTE  a TRIGRAM  b BITS/BYTE');
  });
});
