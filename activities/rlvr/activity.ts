/**
 * `rlvr`: GRPO with verifiable rewards of its input model on its input datasets' `{prompt, answer}` rows in
 * the trainer child (ml/trainer/rlvr.ts) through runTrainerStage (../trainer-stage.ts: heartbeats `{ step,
 * totalSteps, loss, checkpoint }`, resume on retry from the latest checkpoint, `train/loss`, the child ended
 * on cancel). Here: the one model and the datasets among its inputs, the per-step series recorded whole at
 * the end (`train/mean_reward`, `train/kl`, …: the live `metrics` messages may miss a resumed run's first
 * steps), the stage metrics (each series' mean over the last ≤ 10 steps, the reward's over the first too)
 * and the model artifact, which records the chat template its prompts were shown in.
 */
import { activityInfo } from '@temporalio/activity';
import { RLVR_SERIES, type RlvrResult } from '../../ml/jobs.ts';
import { estimateTrainingMemory } from '../../recipe/memory.ts';
import { rlvrStage } from '../../recipe/stages/rlvr.ts';
import type { ActivityDeps } from '../deps.ts';
import { stageActivity } from '../stage-activity.ts';
import { runTrainerStage } from '../trainer-stage.ts';
import { commitTunedModel } from '../tuned-model.ts';
import { tuningInputs } from '../tuning.ts';

/** Mean of the values of `points` (NaN for none). */
function mean(points: ReadonlyArray<[number, number]>): number {
  return points.length === 0 ? Number.NaN : points.reduce((a, [, v]) => a + v, 0) / points.length;
}

/** The stage metrics of a finished run: each series over its last ≤ 10 steps, the reward over its first ≤ 10 too. */
export function rlvrMetrics(result: RlvrResult): Record<string, number> {
  const { series } = result;
  const window = Math.min(10, Math.floor(result.steps / 2) || 1);
  const metrics: Record<string, number> = Object.fromEntries(RLVR_SERIES.map((name) => [name, mean(series[name].slice(-window))]));
  return {
    ...metrics,
    first_mean_reward: mean(series.mean_reward.slice(0, window)),
    final_loss: result.finalLoss,
    steps: result.steps,
    steps_without_update: result.stepsWithoutUpdate,
    rows: result.rows,
    response_tokens: result.tokensSeen,
    resumed_from_step: result.resumedFromStep ?? -1,
  };
}

export function createRlvr(deps: ActivityDeps) {
  return stageActivity(rlvrStage, {
    async run({ req, settings, inputs, reject }) {
      const { base, datasets, shards, model: jobModel } = await tuningInputs(deps, req, inputs.data, reject, { rows: '{prompt, answer}', hint: 'a dataset with shape: answer, e.g. builtin:tasks' });
      const { seed } = req.node.context;
      const outputDir = await deps.store.stage();
      const { result } = await runTrainerStage<RlvrResult>(deps, req, {
        totalSteps: settings.steps,
        job: ({ checkpointDir, resumeFrom }) => ({
          type: 'rlvr',
          settings: { ...settings, seed },
          model: jobModel,
          paths: { shards, checkpointDir, outputDir, resumeFrom, initFrom: deps.store.dir(base.artifact.id) },
        }),
        // The policy's update batch, plus the frozen reference (a second copy of the weights, no optimizer state).
        estimatedMemoryBytes: estimateTrainingMemory({ ...jobModel, batchSize: settings.promptsPerStep * settings.samplesPerPrompt }).bytes,
      });
      for (const name of RLVR_SERIES) await deps.lineage.recordMetrics(req.runId, req.node.id, `train/${name}`, result.series[name]);
      const artifact = await commitTunedModel(deps, req, { outputDir, result, base, trainedOn: datasets.map((d) => d.artifact) });
      return { outputs: [{ port: 'model', artifact }], metrics: rlvrMetrics(result), attempt: activityInfo().attempt };
    },
  });
}
