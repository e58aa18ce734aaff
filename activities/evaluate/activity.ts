/**
 * `evaluate`: scores every input model with the stage's task specs (recipe/stages/evaluate.ts) in the
 * trainer child, one job per model, and returns one table comparable across models: the same tasks, the
 * same rows and the same windows (the shortest context among the models), the metrics prefixed by each
 * model's stage when there are several. Perplexity scores the stage's text datasets beside n-gram
 * baselines fitted on the documents a model was trained on; a row task reads the dataset its `data:`
 * names. A model whose artifact records a chat template (an sft model's) is prompted in it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { activityInfo, heartbeat } from '@temporalio/activity';
import { z } from 'zod';
import { shardPaths } from '../../datasets/dataset.ts';
import type { EvaluateJob, EvaluateResult } from '../../ml/jobs.ts';
import { evaluateStage } from '../../recipe/stages/evaluate.ts';
import type { ActivityDeps } from '../deps.ts';
import { stageActivity } from '../stage-activity.ts';
import { runStageJob } from '../trainer-stage.ts';
import type { StageInput } from '../types.ts';

const trainedOnSchema = z.object({ trainedOn: z.string() });
const chatTemplateSchema = z.object({ chatTemplate: z.object({ user: z.string(), assistant: z.string() }) });
const contextSchema = z.object({ context: z.number().int().positive() });

/**
 * The shards of the documents a model was trained on (a pretrain model's `trainedOn` dataset), which
 * the n-gram baselines are fitted on; undefined for a model without one in this store.
 */
async function trainingShards(deps: ActivityDeps, modelId: string): Promise<string[] | undefined> {
  const meta = trainedOnSchema.safeParse((await deps.store.get(modelId)).meta);
  if (!meta.success || !(await deps.store.has(meta.data.trainedOn))) return undefined;
  return shardPaths(deps.store, meta.data.trainedOn);
}

/** The chat template a model artifact records (sft models), or undefined: then prompts are plain. */
async function chatTemplateOf(deps: ActivityDeps, modelId: string): Promise<EvaluateJob['chatTemplate']> {
  const meta = chatTemplateSchema.safeParse((await deps.store.get(modelId)).meta);
  return meta.success ? { user: meta.data.chatTemplate.user, assistant: meta.data.chatTemplate.assistant } : undefined;
}

/** A model directory's context length (its config.json). */
async function contextOf(deps: ActivityDeps, modelId: string): Promise<number> {
  return contextSchema.parse(JSON.parse(await readFile(join(deps.store.dir(modelId), 'config.json'), 'utf8'))).context;
}

/** The input a task's `data:` reference resolved to (`name` or `stage.port`). */
function inputOf(inputs: readonly StageInput[], ref: string): StageInput | undefined {
  const [node, port] = ref.split('.');
  return inputs.find((i) => i.node === node && (port === undefined || i.port === port));
}

export function createEvaluate(deps: ActivityDeps) {
  return stageActivity(evaluateStage, {
    async run({ req, settings, inputs, reject }) {
      const models = inputs.data.filter((i) => i.kind === 'model');
      const datasets = inputs.data.filter((i) => i.kind === 'dataset');
      const hasPerplexity = settings.tasks.some((t) => t.task === 'perplexity');
      if (hasPerplexity && datasets.length === 0) reject('a perplexity task needs text documents: no evaluation dataset among its inputs');
      const shards = (await Promise.all(datasets.map((d) => shardPaths(deps.store, d.artifact.id)))).flat();
      const taskShards: Record<string, string[]> = {};
      for (const t of settings.tasks) {
        if (t.task === 'perplexity') continue;
        const input = inputOf(inputs.task, t.data);
        if (input === undefined) reject(`task "${t.name}": its data "${t.data}" is not among the stage's inputs`);
        taskShards[t.name] = await shardPaths(deps.store, input!.artifact.id);
      }
      // One window length for every model, so their numbers are comparable.
      const context = Math.min(...(await Promise.all(models.map((m) => contextOf(deps, m.artifact.id)))));
      const metrics: Record<string, number> = {};
      const reports: Array<{ stage: string; model: string; chatTemplate: boolean; result: EvaluateResult }> = [];
      for (const m of models) {
        heartbeat({ model: m.artifact.id });
        const baselineShards = hasPerplexity ? await trainingShards(deps, m.artifact.id) : undefined;
        const chatTemplate = await chatTemplateOf(deps, m.artifact.id);
        const job: EvaluateJob = {
          type: 'evaluate',
          modelDir: deps.store.dir(m.artifact.id),
          shards,
          tasks: settings.tasks,
          taskShards,
          maxDocsPerDomain: settings.maxDocsPerDomain,
          context,
          seed: req.node.context.seed,
          ...(baselineShards !== undefined ? { baselineShards } : {}),
          ...(chatTemplate !== undefined ? { chatTemplate } : {}),
        };
        const result = await runStageJob<EvaluateResult>(job, { details: () => ({ model: m.artifact.id }), cancelled: () => `evaluate "${req.node.id}" cancelled` });
        reports.push({ stage: m.node, model: m.artifact.id, chatTemplate: chatTemplate !== undefined, result });
        // With several models, prefix each metric by its producing stage.
        const prefix = models.length > 1 ? `${m.node}/` : '';
        for (const [k, v] of Object.entries(result.metrics)) metrics[prefix + k] = v;
      }
      const report = await deps.store.putJson(
        'report',
        {
          format: 'braise.report/v1',
          stage: req.node.id,
          tasks: settings.tasks,
          context,
          datasets: datasets.map((d) => d.artifact.id),
          taskData: Object.fromEntries(settings.tasks.flatMap((t) => (t.task === 'perplexity' ? [] : [[t.name, inputOf(inputs.task, t.data)!.artifact.id]]))),
          models: reports,
        },
        { stage: req.node.id, runId: req.runId },
      );
      return { outputs: [{ port: 'report', artifact: report }], metrics, attempt: activityInfo().attempt };
    },
  });
}
