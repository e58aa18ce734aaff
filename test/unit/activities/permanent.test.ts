/**
 * Bad input found by any stage crosses Temporal as a non-retryable failure, typed by the error's class
 * and naming the stage: one row per stage kind that runs. Anything else stays retryable.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { classify, StageInputError } from '../../../activities/errors.ts';
import { createEvaluate } from '../../../activities/evaluate/activity.ts';
import { createFilter } from '../../../activities/filter/activity.ts';
import { createIngest } from '../../../activities/ingest/activity.ts';
import { createMix } from '../../../activities/mix/activity.ts';
import { createPretrain } from '../../../activities/pretrain/activity.ts';
import { createRewrite } from '../../../activities/rewrite/activity.ts';
import type { ActivityDeps } from '../../../activities/deps.ts';
import type { StageRequest, StageResult } from '../../../activities/types.ts';
import { writeDataset } from '../../../datasets/dataset.ts';
import { DatasetInputError } from '../../../datasets/errors.ts';
import { PermanentError } from '../../../errors/permanent.ts';
import { JobInputError } from '../../../ml/errors.ts';
import { evaluateWith, filterWith, mixWith, pretrainWith, rewriteWith } from '../../../recipe/stage-with.ts';
import { inputOf, runStage, stageDeps, stageRequest } from '../rewrite/stage-env.ts';

const docs = [
  { id: 'a', text: 'a plain sentence about the news of the day.', domain: 'news' },
  { id: 'b', text: 'another sentence, about the weather this time.', domain: 'news' },
];

interface Case {
  kind: string;
  type: string;
  message: string;
  make: (deps: ActivityDeps) => Promise<{ activity: (req: StageRequest) => Promise<StageResult>; req: StageRequest }>;
}

const CASES: Case[] = [
  {
    kind: 'ingest',
    type: 'DatasetInputError',
    message: '/nowhere/web.jsonl: file not found',
    make: async (deps) => ({ activity: createIngest(deps), req: stageRequest('web', 'ingest', { source: 'file:/nowhere/web.jsonl' }, []) }),
  },
  {
    kind: 'filter',
    type: 'StageInputError',
    message: 'filter "clean": the quality classifier needs high and low examples (got 0 and 0 documents)',
    make: async (deps) => {
      const data = inputOf('web', 'data', await writeDataset(deps.store, docs));
      return { activity: createFilter(deps), req: stageRequest('clean', 'filter', filterWith.parse({ rules: [], classifier: { high: ['good'], low: ['bad'] } }), [data]) };
    },
  },
  {
    kind: 'rewrite',
    type: 'StageInputError',
    message: 'rewrite "recycle": no dataset among its inputs',
    make: async (deps) => ({ activity: createRewrite(deps), req: stageRequest('recycle', 'rewrite', rewriteWith.parse({}), []) }),
  },
  {
    kind: 'mix',
    type: 'StageInputError',
    message: `mix "blend": with.weights.code: no input document has domain 'code' (domains: news)`,
    make: async (deps) => {
      const data = inputOf('web', 'data', await writeDataset(deps.store, docs));
      return { activity: createMix(deps), req: stageRequest('blend', 'mix', mixWith.parse({ weights: { code: 1 } }), [data]) };
    },
  },
  {
    kind: 'pretrain',
    type: 'StageInputError',
    message: 'pretrain "base": no training documents (inputs had 0)',
    make: async (deps) => {
      const empty = inputOf('web', 'data', await writeDataset(deps.store, []));
      return { activity: createPretrain(deps), req: stageRequest('base', 'pretrain', pretrainWith.parse({}), [empty]) };
    },
  },
  {
    kind: 'evaluate',
    type: 'StageInputError',
    message: 'evaluate "eval": a perplexity task needs text documents: no evaluation dataset among its inputs',
    make: async (deps) => ({ activity: createEvaluate(deps), req: stageRequest('eval', 'evaluate', evaluateWith.parse({ tasks: ['perplexity'] }), []) }),
  },
];

describe('permanent errors', () => {
  it.each(CASES)('a permanent error from $kind is a non-retryable $type naming the stage', async ({ make, type, message }) => {
    const deps = await stageDeps();
    const { activity, req } = await make(deps);
    const err = await runStage(activity, req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ nonRetryable: true, type, message: expect.stringContaining(message) });
  });

  it('are one class: each layer subclasses PermanentError, and anything else stays retryable', () => {
    for (const e of [new DatasetInputError('d'), new JobInputError('j'), new StageInputError('s'), new PermanentError('p')]) {
      expect(e).toBeInstanceOf(PermanentError);
      expect(() => classify(e)).toThrow(expect.objectContaining({ nonRetryable: true, type: e.name, message: e.message }));
    }
    const transient = new Error('connection reset');
    expect(() => classify(transient)).toThrow(transient);
    // A look-alike carrying the old duck-typed flag is not permanent any more.
    expect(() => classify(Object.assign(new Error('flagged'), { permanent: true }))).toThrow(expect.not.objectContaining({ nonRetryable: true }));
  });
});
