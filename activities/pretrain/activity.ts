/**
 * `pretrain`: trains the recipe's GPT on its input datasets in a child process
 * (the worker's event loop stays free for heartbeats) through runTrainerStage
 * (../trainer-stage.ts), which heartbeats `{ step, totalSteps, loss, checkpoint }`,
 * resumes a retried attempt from the checkpoint named in the last heartbeat, or
 * the latest one on disk for this cache key (a --no-cache run: for this cache
 * key in this run only, so it trains from scratch), records the loss curve and
 * mixture weights, and kills the child on cancellation. Here: the holdout split,
 * the job (the stage's settings as they are, plus the seed and the mixture an
 * input dataset carries; a DoReMi mixture's reference model, the input of role
 * `reference`, as `paths.referenceModel`) and the stage's outputs and provenance rows.
 */
import { activityInfo } from '@temporalio/activity';
import { readDatasetAll, readManifest, shardPaths, writeDataset } from '../../datasets/dataset.ts';
import type { Doc } from '../../datasets/types.ts';
import { formatIssues, modelConfigSchema } from '../../ml/config.ts';
import type { MixtureJobSpec, PretrainResult } from '../../ml/jobs.ts';
import { estimateTrainingMemory } from '../../recipe/memory.ts';
import { jobMixture, pretrainStage } from '../../recipe/stages/pretrain.ts';
import type { ActivityDeps } from '../deps.ts';
import { StageInputError } from '../errors.ts';
import { stageActivity } from '../stage-activity.ts';
import { checkpointScope, runTrainerStage, trainedModelMeta, trainingMetrics } from '../trainer-stage.ts';
import type { StageRequest } from '../types.ts';
import { splitHoldout } from './holdout.ts';
import { recordTrainingOrder } from './training-order.ts';

function prefixed(prefix: string, values: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(values ?? {}).map(([k, v]) => [prefix + k, v]));
}

/** An online mixture a `mix` stage handed over in its dataset's manifest (`mixture.spec`), if any. */
async function inputMixture(deps: ActivityDeps, req: StageRequest): Promise<MixtureJobSpec | undefined> {
  for (const i of req.inputs) {
    if (i.kind !== 'dataset' || (i.role ?? 'data') !== 'data') continue;
    const manifest = (await readManifest(deps.store, i.artifact.id)) as { mixture?: { spec?: MixtureJobSpec } };
    if (manifest.mixture?.spec) return manifest.mixture.spec;
  }
  return undefined;
}

export function createPretrain(deps: ActivityDeps) {
  return stageActivity(pretrainStage, {
    async run({ req, settings, inputs, reject }) {
      const { seed, model } = req.node.context;
      const docs: Doc[] = [];
      for (const input of inputs.data) docs.push(...(await readDatasetAll(deps.store, input.artifact.id)));
      const { train, heldout } = splitHoldout(docs, seed, settings.holdout);
      if (train.length === 0) throw new StageInputError(`pretrain "${req.node.id}": no training documents (inputs had ${docs.length})`);
      const trainRef = await writeDataset(deps.store, train, { meta: { stage: req.node.id, split: 'train' } });
      const heldoutRef = await writeDataset(deps.store, heldout, { meta: { stage: req.node.id, split: 'heldout' } });

      const shards = await shardPaths(deps.store, trainRef.id);
      const outputDir = await deps.store.stage();
      // The stage's own `with.mixture` (its defaults resolved at compile time) wins over one carried by the input
      // dataset, whose manifests are then not read.
      const mixture = settings.mixture !== undefined ? jobMixture(settings.mixture) : await inputMixture(deps, req);
      // DoReMi's reference model (with.mixture.reference, an input of role `reference`).
      const reference = inputs.reference[0];
      if (settings.mixture?.method === 'doremi' && reference === undefined) reject('with.mixture.reference: doremi needs a reference model input');
      const parsedModel = modelConfigSchema.safeParse(model);
      if (!parsedModel.success) throw new StageInputError(formatIssues(`pretrain "${req.node.id}": model`, parsedModel.error));
      const jobModel = parsedModel.data;
      const jobSettings = { ...settings, seed, mixture };
      const { result, checkpointDir, resumeFrom } = await runTrainerStage<PretrainResult>(deps, req, {
        totalSteps: settings.steps,
        job: ({ checkpointDir, resumeFrom }) => ({
          type: 'pretrain',
          settings: jobSettings,
          model: jobModel,
          paths: { shards, checkpointDir, outputDir, resumeFrom, ...(reference !== undefined ? { referenceModel: deps.store.dir(reference.artifact.id) } : {}) },
        }),
        // The compiler's estimate, so an out-of-memory failure can say what this stage was expected to need.
        estimatedMemoryBytes: estimateTrainingMemory({ ...jobModel, batchSize: settings.batchSize }).bytes,
      });
      // Which checkpoints saw which documents: the windows the final model descends from, each once.
      await recordTrainingOrder(deps, req, checkpointDir, result.steps, resumeFrom);
      const artifact = await deps.store.commit(outputDir, 'model', {
        ...trainedModelMeta(req, result),
        trainedOn: trainRef.id,
        // What an upsample of this model continues (activities/upsample/): the settings it trained with and where
        // its checkpoints are, relative to the checkpoints root (shared by every worker that may resume it).
        pretrain: { settings: jobSettings, checkpoints: checkpointScope(req), ...(reference !== undefined ? { referenceModel: reference.artifact.id } : {}) },
      });
      return {
        outputs: [
          { port: 'model', artifact },
          { port: 'heldout', artifact: heldoutRef },
        ],
        metrics: {
          ...trainingMetrics(result),
          tokens: result.tokensSeen,
          train_docs: train.length,
          heldout_docs: heldout.length,
          ...prefixed('weight/', result.mixtureWeights),
          ...prefixed('domain_loss/', result.domainLoss),
          ...(result.attentionFlopsPerToken !== undefined ? { attention_flops_per_token: result.attentionFlopsPerToken } : {}),
          ...(result.concatChunkAttentionFlopsPerToken !== undefined ? { concat_chunk_attention_flops_per_token: result.concatChunkAttentionFlopsPerToken } : {}),
        },
        attempt: activityInfo().attempt,
      };
    },
  });
}
