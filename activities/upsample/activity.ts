/**
 * `upsample`: continues its input pretrain's run from the checkpoint at step round((1 − fraction) · S) to S with
 * each domain's sampling weight multiplied (recipe/stages/upsample.ts: why and how; ml/trainer/upsample.ts: the
 * job) through runTrainerStage (../trainer-stage.ts: heartbeats, resume on retry from its own latest checkpoint,
 * `train/loss` and `mixture/<domain>` curves, the child ended on cancel). Here: the pretrain's settings and
 * checkpoint scope from its model artifact's meta (activities/pretrain/ records them), its checkpoint at the
 * start step, its training split as the data, and the model artifact (`upsampledFrom`, the fraction, the mixture).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { activityInfo } from '@temporalio/activity';
import { z } from 'zod';
import { shardPaths } from '../../datasets/dataset.ts';
import { checkpointDirName } from '../../ml/checkpoint.ts';
import { formatIssues, modelConfigSchema } from '../../ml/config.ts';
import { pretrainSettingsSchema, type UpsampleResult } from '../../ml/jobs.ts';
import { upsampleStage, upsampleStartStep } from '../../recipe/stages/upsample.ts';
import type { ActivityDeps } from '../deps.ts';
import { stageActivity } from '../stage-activity.ts';
import { runTrainerStage, trainedModelMeta, trainingMetrics } from '../trainer-stage.ts';

/** What a pretrain's model artifact records for an upsample (activities/pretrain/activity.ts). */
const pretrainMeta = z.object({
  trainedOn: z.string(),
  pretrain: z.object({ settings: pretrainSettingsSchema, checkpoints: z.string().regex(/^[A-Za-z0-9._-]+$/), referenceModel: z.string().optional() }),
});

export function createUpsample(deps: ActivityDeps) {
  return stageActivity(upsampleStage, {
    async run({ req, settings, inputs, reject }) {
      const models = inputs.data.filter((i) => i.kind === 'model');
      if (models.length !== 1) reject(`continues exactly one pretrain; its inputs have ${models.length} models (${models.map((m) => m.node).join(', ') || 'none'})`);
      const base = models[0]!;
      const ref = await deps.store.get(base.artifact.id);
      const meta = pretrainMeta.safeParse(ref.meta);
      if (!meta.success) reject(`input "${base.node}" is not a pretrain's model with its schedule recorded (artifact ${base.artifact.id.slice(0, 12)}); upsample continues a pretrain stage of this recipe`);
      const { settings: pretrain, checkpoints, referenceModel } = meta.data!.pretrain;
      const startStep = upsampleStartStep(pretrain.steps, settings.fraction);
      if (startStep >= pretrain.steps) reject(`fraction ${settings.fraction} of ${pretrain.steps} steps leaves no step to train`);
      let start: string | undefined;
      if (startStep > 0) {
        start = join(deps.config.checkpointsRoot, checkpoints, checkpointDirName(startStep));
        await deps.checkpoints?.pullStep(start);
        if (!(await stat(join(start, 'state.json')).then(() => true, () => false))) {
          reject(`pretrain "${base.node}" has no checkpoint at step ${startStep} (${start}): it checkpoints every ${pretrain.checkpointEvery} steps, or its checkpoints were removed`);
        }
      }
      const parsedModel = modelConfigSchema.safeParse(req.node.context.model);
      if (!parsedModel.success) reject(formatIssues('model', parsedModel.error));
      const jobModel = parsedModel.data!;
      const shards = await shardPaths(deps.store, meta.data!.trainedOn);
      const referenceDir = referenceModel !== undefined ? await deps.store.ensureLocal(referenceModel) : undefined;
      const outputDir = await deps.store.stage();
      const { result } = await runTrainerStage<UpsampleResult>(deps, req, {
        totalSteps: pretrain.steps,
        job: ({ checkpointDir, resumeFrom }) => ({
          type: 'upsample',
          settings: { ...settings, pretrain, startStep },
          model: jobModel,
          // Its own checkpoints (a retry) first, else the pretrain's at the start step.
          paths: {
            shards,
            checkpointDir,
            outputDir,
            ...((resumeFrom ?? start) !== undefined ? { resumeFrom: resumeFrom ?? start } : {}),
            // A DoReMi pretrain goes on scoring against its reference model.
            ...(referenceModel !== undefined ? { referenceModel: referenceDir } : {}),
          },
        }),
      });
      const artifact = await deps.store.commit(outputDir, 'model', {
        ...trainedModelMeta(req, result),
        startStep,
        upsampledFrom: { stage: base.node, artifact: base.artifact.id },
        fraction: settings.fraction,
        domains: settings.domains ?? {},
        mixture: result.mixture,
        trainedOn: meta.data!.trainedOn,
      });
      return {
        outputs: [{ port: 'model', artifact }],
        metrics: {
          ...trainingMetrics(result),
          start_step: startStep,
          upsample_steps: result.steps - startStep,
          ...Object.fromEntries(Object.entries(result.mixture).map(([d, w]) => [`mixture/${d}`, w])),
        },
        attempt: activityInfo().attempt,
      };
    },
  });
}
