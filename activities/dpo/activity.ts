/**
 * `dpo`: preference-tunes its input model on `{prompt, chosen, rejected}` rows against the frozen input model in the
 * trainer child (ml/trainer/dpo.ts) through runTrainerStage (../trainer-stage.ts: heartbeats, resume on retry from
 * the latest checkpoint, the loss curve as `train/loss`, the child ended on cancel). Here: the one model and the
 * datasets among its inputs (or the pairs made from two models' samples: ./pairs.ts), the reference log-probs
 * (found by their key or computed once by a `dpo-reference` job and committed: ./reference-cache.ts; none for
 * simpo), the steps (from `epochs` and the pair count when the stage gives epochs), and the model artifact.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { activityInfo, Context } from '@temporalio/activity';
import { readManifest, shardPaths } from '../../datasets/dataset.ts';
import type { ArtifactRef } from '../../datasets/types.ts';
import { formatIssues, modelConfigSchema } from '../../ml/config.ts';
import type { DpoReferenceResult, DpoResult } from '../../ml/jobs.ts';
import { needsReference } from '../../ml/posttrain/dpo-loss.ts';
import { CHAT_TEMPLATE } from '../../ml/posttrain/sft-loss.ts';
import { estimateTrainingMemory } from '../../recipe/memory.ts';
import { dpoStage } from '../../recipe/stages/dpo.ts';
import type { ActivityDeps } from '../deps.ts';
import { stageActivity } from '../stage-activity.ts';
import { runStageJob, runTrainerStage, trainingMetrics } from '../trainer-stage.ts';
import { commitTunedModel } from '../tuned-model.ts';
import type { StageInput, StageOutput, StageRequest } from '../types.ts';
import { makePairs } from './pairs.ts';
import { findReference, referenceKey, rememberReference } from './reference-cache.ts';

/** Steps when the stage gives neither steps nor epochs. */
export const DEFAULT_DPO_STEPS = 100;

/** The reference's log-probs of the rows in `datasets`: the cached artifact, or computed once now and committed. */
async function reference(
  deps: ActivityDeps,
  req: StageRequest,
  o: { base: StageInput; datasets: readonly ArtifactRef[]; shards: string[]; context: number; backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu' },
): Promise<{ artifact: ArtifactRef; cached: boolean }> {
  const key = referenceKey({ referenceModel: o.base.artifact.id, datasets: o.datasets.map((d) => d.id), context: o.context });
  const found = await findReference(deps, key);
  if (found) return { artifact: found, cached: true };
  const dir = await deps.store.stage();
  try {
    await mkdir(dir, { recursive: true });
    // The last heartbeat stays the training's, so a retry after this pass still finds its checkpoint.
    const previous: unknown = Context.current().info.heartbeatDetails ?? { step: 0, totalSteps: 0, loss: null, checkpoint: null };
    const r = await runStageJob<DpoReferenceResult>(
      { type: 'dpo-reference', modelDir: deps.store.dir(o.base.artifact.id), shards: o.shards, outputFile: join(dir, 'report.json'), backend: o.backend },
      { details: () => previous, cancelled: () => `dpo "${req.node.id}" cancelled computing its reference log-probs` },
    );
    const artifact = await deps.store.commit(dir, 'report', {
      stage: req.node.id,
      kind: 'dpo-reference',
      key,
      referenceModel: { stage: o.base.node, artifact: o.base.artifact.id },
      datasets: o.datasets.map((d) => d.id),
      chatTemplate: CHAT_TEMPLATE,
      pairs: r.pairs,
    });
    await rememberReference(deps, key, artifact);
    return { artifact, cached: false };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

export function createDpo(deps: ActivityDeps) {
  return stageActivity(dpoStage, {
    async run({ req, settings, inputs, reject }) {
      const models = inputs.data.filter((i) => i.kind === 'model');
      const datasets = inputs.data.filter((i) => i.kind === 'dataset');
      if (models.length !== 1) reject(`tunes exactly one model (also its frozen reference); its inputs have ${models.length} (${models.map((m) => m.node).join(', ') || 'none'})`);
      if (datasets.length === 0) reject(settings.pairs ? 'has no dataset among its inputs to take the pairs\' prompts from' : 'has no dataset of {prompt, chosen, rejected} rows among its inputs (a dataset with shape: preference, e.g. builtin:tasks)');
      const base = models[0]!;
      const { seed, model } = req.node.context;
      const parsedModel = modelConfigSchema.safeParse(model);
      if (!parsedModel.success) reject(formatIssues('model', parsedModel.error));
      const jobModel = parsedModel.data!;
      const outputs: StageOutput[] = [];
      const extraMetrics: Record<string, number> = {};

      let rowSets: ArtifactRef[] = datasets.map((d) => d.artifact);
      if (settings.pairs) {
        const made = await makePairs(deps, { pairs: settings.pairs, chosen: inputs.chosen[0]!, rejected: inputs.rejected[0]!, datasets, seed, backend: settings.backend, stage: req.node.id }, reject);
        rowSets = [made.artifact];
        outputs.push({ port: 'pairs', artifact: made.artifact });
        extraMetrics.pairs_dropped = made.dropped;
      }
      const shards: string[] = [];
      let pairs = 0;
      for (const d of rowSets) {
        shards.push(...(await shardPaths(deps.store, d.id)));
        pairs += (await readManifest(deps.store, d.id)).docs;
      }
      if (pairs === 0) reject('its datasets have no rows');
      const steps = settings.steps ?? (settings.epochs !== undefined ? Math.ceil((settings.epochs * pairs) / settings.batchSize) : DEFAULT_DPO_STEPS);

      const ref = needsReference(settings.lossType) ? await reference(deps, req, { base, datasets: rowSets, shards, context: jobModel.context, backend: settings.backend }) : null;
      if (ref) outputs.push({ port: 'reference', artifact: ref.artifact });

      // A reference found by its index may be another machine's commit (an S3 store): made local like an input.
      const referenceFile = ref ? await deps.store.filePath(ref.artifact.id, 'report.json') : undefined;
      const outputDir = await deps.store.stage();
      const { result } = await runTrainerStage<DpoResult>(deps, req, {
        totalSteps: steps,
        job: ({ checkpointDir, resumeFrom }) => ({
          type: 'dpo',
          settings: { ...settings, steps, seed },
          model: jobModel,
          paths: { shards, checkpointDir, outputDir, resumeFrom, initFrom: deps.store.dir(base.artifact.id), ...(referenceFile !== undefined ? { reference: referenceFile } : {}) },
        }),
        // Each update scores both sides of its pairs: twice the batch's rows.
        estimatedMemoryBytes: estimateTrainingMemory({ ...jobModel, batchSize: 2 * settings.batchSize }).bytes,
      });
      const artifact = await commitTunedModel(deps, req, {
        outputDir,
        result,
        base,
        trainedOn: rowSets,
        extra: {
          dpo: { lossType: settings.lossType, beta: settings.beta, labelSmoothing: settings.labelSmoothing, ...(settings.lossType === 'simpo' ? { gammaBetaRatio: settings.gammaBetaRatio } : {}) },
          reference: ref ? ref.artifact.id : null,
        },
      });
      outputs.unshift({ port: 'model', artifact });
      return {
        outputs,
        metrics: {
          ...trainingMetrics(result),
          reward_margin: result.rewardMargin,
          accuracy: result.accuracy,
          chosen_reward: result.chosenReward,
          rejected_reward: result.rejectedReward,
          first_reward_margin: result.first.rewardMargin,
          first_accuracy: result.first.accuracy,
          pairs: result.pairs,
          response_tokens: result.tokensSeen,
          reference_cached: ref ? (ref.cached ? 1 : 0) : -1,
          ...extraMetrics,
        },
        attempt: activityInfo().attempt,
      };
    },
  });
}
