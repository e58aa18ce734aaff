/**
 * The model artifact of a stage that tunes an input model (sft, dpo, rlvr): what every trained model records
 * (../trainer-stage.ts trainedModelMeta: stage, backend, TensorFlow version, device, steps, final loss, config),
 * the chat template its rows were written in, the model it was tuned from and the datasets it trained on — plus a
 * kind's own fields.
 */
import type { ArtifactRef } from '../datasets/types.ts';
import type { TrainResult } from '../ml/jobs.ts';
import { CHAT_TEMPLATE } from '../ml/posttrain/sft-loss.ts';
import type { ActivityDeps } from './deps.ts';
import { trainedModelMeta } from './trainer-stage.ts';
import type { StageInput, StageRequest } from './types.ts';

/** Commits `outputDir` (a trainer's final model directory) as the tuned model of stage `req`. */
export function commitTunedModel(
  deps: ActivityDeps,
  req: StageRequest,
  o: { outputDir: string; result: TrainResult; base: StageInput; trainedOn: readonly ArtifactRef[]; extra?: Record<string, unknown> },
): Promise<ArtifactRef> {
  return deps.store.commit(o.outputDir, 'model', {
    ...trainedModelMeta(req, o.result),
    chatTemplate: CHAT_TEMPLATE,
    tunedFrom: { stage: o.base.node, artifact: o.base.artifact.id },
    ...o.extra,
    trainedOn: o.trainedOn.map((d) => d.id),
  });
}
