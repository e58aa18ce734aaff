/**
 * `evaluate`: scores a model on held-out datasets (bits per byte by domain) in the trainer child process,
 * beside n-gram baselines fitted on the documents the model was trained on.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import { z } from 'zod';
import { shardPaths } from '../../datasets/dataset.ts';
import type { EvaluateJob, EvaluateResult } from '../../ml/jobs.ts';
import { AVAILABLE_EVALUATE_TASKS, evaluateStage } from '../../recipe/stages/evaluate.ts';
import type { ActivityDeps } from '../deps.ts';
import { stageActivity } from '../stage-activity.ts';
import { StageInputError } from '../errors.ts';
import { runStageJob } from '../trainer-stage.ts';

const trainedOnSchema = z.object({ trainedOn: z.string() });

/**
 * The shards of the documents a model was trained on (a pretrain model's `trainedOn` dataset), which
 * the n-gram baselines are fitted on; undefined for a model without one in this store.
 */
async function trainingShards(deps: ActivityDeps, modelId: string): Promise<string[] | undefined> {
  const meta = trainedOnSchema.safeParse((await deps.store.get(modelId)).meta);
  if (!meta.success || !(await deps.store.has(meta.data.trainedOn))) return undefined;
  return shardPaths(deps.store, meta.data.trainedOn);
}

export function createEvaluate(deps: ActivityDeps) {
  return stageActivity(evaluateStage, {
    async run({ req, settings }) {
      // The compiler refuses these already; this guards plans that reach the activity another way.
      const unsupported = settings.tasks.filter((t) => !AVAILABLE_EVALUATE_TASKS.includes(t));
      if (unsupported.length > 0) throw new StageInputError(`evaluate "${req.node.id}": tasks not available yet: ${unsupported.join(', ')}`);
      const models = req.inputs.filter((i) => i.kind === 'model');
      const datasets = req.inputs.filter((i) => i.kind === 'dataset');
      if (datasets.length === 0) throw new StageInputError(`evaluate "${req.node.id}": no evaluation dataset among its inputs`);
      const shards = (await Promise.all(datasets.map((d) => shardPaths(deps.store, d.artifact.id)))).flat();
      const metrics: Record<string, number> = {};
      const reports: Array<{ model: string; result: EvaluateResult }> = [];
      for (const m of models) {
        heartbeat({ model: m.artifact.id });
        const baselineShards = await trainingShards(deps, m.artifact.id);
        const job: EvaluateJob = {
          type: 'evaluate',
          modelDir: deps.store.dir(m.artifact.id),
          shards,
          tasks: ['perplexity-by-domain'],
          maxDocsPerDomain: settings.maxDocsPerDomain,
          ...(baselineShards !== undefined ? { baselineShards } : {}),
        };
        const result = await runStageJob<EvaluateResult>(job, { details: () => ({ model: m.artifact.id }), cancelled: () => `evaluate "${req.node.id}" cancelled` });
        reports.push({ model: m.artifact.id, result });
        // With several models, prefix each metric by its producing stage.
        const prefix = models.length > 1 ? `${m.node}/` : '';
        for (const [k, v] of Object.entries(result.metrics)) metrics[prefix + k] = v;
      }
      const report = await deps.store.putJson(
        'report',
        { format: 'braise.report/v1', stage: req.node.id, tasks: settings.tasks, datasets: datasets.map((d) => d.artifact.id), models: reports },
        { stage: req.node.id, runId: req.runId },
      );
      return { outputs: [{ port: 'report', artifact: report }], metrics, attempt: activityInfo().attempt };
    },
  });
}
