/**
 * `sft`: instruction-tunes its input model on its input datasets' `{prompt, response}` rows in the trainer
 * child (ml/trainer/sft.ts) through runTrainerStage (../trainer-stage.ts: heartbeats `{ step, totalSteps,
 * loss, checkpoint }`, resume on retry from the latest checkpoint, the loss curve as `train/loss`, the child
 * ended on cancel). Here: the one model and the datasets among its inputs, the steps (from `epochs` and the
 * row count when the stage gives epochs), and the model artifact, which records the chat template.
 */
import { activityInfo } from '@temporalio/activity';
import type { SftResult } from '../../ml/jobs.ts';
import { estimateTrainingMemory } from '../../recipe/memory.ts';
import { sftStage } from '../../recipe/stages/sft.ts';
import type { ActivityDeps } from '../deps.ts';
import { stageActivity } from '../stage-activity.ts';
import { runTrainerStage, trainingMetrics } from '../trainer-stage.ts';
import { commitTunedModel } from '../tuned-model.ts';
import { tuningInputs } from '../tuning.ts';

/** Steps when the stage gives neither steps nor epochs. */
export const DEFAULT_SFT_STEPS = 100;

export function createSft(deps: ActivityDeps) {
  return stageActivity(sftStage, {
    async run({ req, settings, inputs, reject }) {
      const { base, datasets, shards, rows, model: jobModel } = await tuningInputs(deps, req, inputs.data, reject, { rows: '{prompt, response}', hint: 'a dataset with shape: sft, e.g. builtin:tasks' });
      const steps = settings.steps ?? (settings.epochs !== undefined ? Math.ceil((settings.epochs * rows) / settings.batchSize) : DEFAULT_SFT_STEPS);
      const { seed } = req.node.context;
      const outputDir = await deps.store.stage();
      const { result } = await runTrainerStage<SftResult>(deps, req, {
        totalSteps: steps,
        job: ({ checkpointDir, resumeFrom }) => ({
          type: 'sft',
          settings: { ...settings, steps, seed },
          model: jobModel,
          paths: { shards, checkpointDir, outputDir, resumeFrom, initFrom: deps.store.dir(base.artifact.id) },
        }),
        estimatedMemoryBytes: estimateTrainingMemory({ ...jobModel, batchSize: settings.batchSize }).bytes,
      });
      const artifact = await commitTunedModel(deps, req, { outputDir, result, base, trainedOn: datasets.map((d) => d.artifact) });
      return {
        outputs: [{ port: 'model', artifact }],
        metrics: {
          ...trainingMetrics(result),
          rows: result.rows,
          response_tokens: result.tokensSeen,
        },
        attempt: activityInfo().attempt,
      };
    },
  });
}
