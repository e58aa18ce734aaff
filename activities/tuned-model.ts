/**
 * The model artifact of a stage that tunes an input model (sft, dpo): what every such model records — the stage, the
 * backend and steps it trained, its final loss and config, the chat template its rows were written in, the model it
 * was tuned from and the datasets it trained on — plus a kind's own fields.
 */
import type { ArtifactRef } from '../datasets/types.ts';
import type { TrainResult } from '../ml/jobs.ts';
import { CHAT_TEMPLATE } from '../ml/posttrain/sft-loss.ts';
import type { ActivityDeps } from './deps.ts';
import type { StageInput, StageRequest } from './types.ts';

/** Commits `outputDir` (a trainer's final model directory) as the tuned model of stage `req`. */
export function commitTunedModel(
  deps: ActivityDeps,
  req: StageRequest,
  o: { outputDir: string; result: TrainResult; base: StageInput; trainedOn: readonly ArtifactRef[]; extra?: Record<string, unknown> },
): Promise<ArtifactRef> {
  return deps.store.commit(o.outputDir, 'model', {
    stage: req.node.id,
    backend: o.result.backend,
    steps: o.result.steps,
    finalLoss: o.result.finalLoss,
    config: req.node.context.model,
    chatTemplate: CHAT_TEMPLATE,
    tunedFrom: { stage: o.base.node, artifact: o.base.artifact.id },
    ...o.extra,
    trainedOn: o.trainedOn.map((d) => d.id),
  });
}
