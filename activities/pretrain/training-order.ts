/**
 * Records which documents a finished pretrain stage trained on, and which of their tokens, per
 * checkpoint window, into lineage's `training_order`: the answer to "which checkpoints saw this
 * document" (`braise provenance`, `GET /v1/artifacts/:id/documents/:docId/training`).
 *
 * The windows come from the checkpoints' `consumed.json`, followed back from the final checkpoint
 * through each window's `fromStep` (ml/consumed.ts): after a retry or a resume from an earlier
 * checkpoint, steps that were redone count once, in the branch the final model descends from, and
 * windows trained by an earlier execution the run resumed are included. The stage's rows are then
 * replaced as a whole, so a retried activity writes the same rows again, never more.
 */
import { dirname } from 'node:path';
import { readDataset } from '../../datasets/dataset.ts';
import type { TrainingOrderRow } from '../../service/lineage.ts';
import { consumedChain, type ConsumedWindow } from '../../ml/consumed.ts';
import type { ActivityDeps } from '../deps.ts';
import type { StageRequest } from '../types.ts';

/**
 * Which input dataset each document id came from (the first data input holding it): the trainer
 * reads a train split the activity writes, but provenance names the datasets lineage knows.
 */
export async function docSources(deps: ActivityDeps, req: StageRequest): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  for (const input of req.inputs) {
    if (input.kind !== 'dataset' || (input.role ?? 'data') !== 'data') continue;
    for await (const doc of readDataset(deps.store, input.artifact.id)) if (!sources.has(doc.id)) sources.set(doc.id, input.artifact.id);
  }
  return sources;
}

/** The rows of `windows`: per checkpoint, one per (document, merged token range), `seq` in window order. */
export function trainingOrderRows(runId: string, stageId: string, windows: readonly ConsumedWindow[], sources: ReadonlyMap<string, string>): TrainingOrderRow[] {
  const rows: TrainingOrderRow[] = [];
  for (const w of windows) {
    let seq = 0;
    for (const doc of w.docs) {
      const datasetArtifactId = sources.get(doc.id);
      if (datasetArtifactId === undefined) throw new Error(`checkpoint ${w.toStep}: consumed.json names document "${doc.id}", which is in no input dataset of stage ${stageId}`);
      for (const [tokenStart, tokenEnd] of doc.ranges) {
        rows.push({ runId, stageId, checkpointStep: w.toStep, seq: seq++, datasetArtifactId, docId: doc.id, tokenStart, tokenEnd });
      }
    }
  }
  return rows;
}

/**
 * Records the training order of a stage trained to `finalStep` with checkpoints under `checkpointDir`
 * (and, when it resumed from a checkpoint elsewhere, under that one's directory).
 */
export async function recordTrainingOrder(
  deps: ActivityDeps,
  req: StageRequest,
  checkpointDir: string,
  finalStep: number,
  resumedFrom?: string,
): Promise<{ rows: number; windows: number }> {
  const roots = resumedFrom !== undefined && dirname(resumedFrom) !== checkpointDir ? [checkpointDir, dirname(resumedFrom)] : [checkpointDir];
  const chain = await consumedChain(roots, finalStep);
  if (chain.brokenAt !== null) {
    deps.logger.warn(
      { stage: req.node.id },
      `provenance: checkpoint ${chain.brokenAt} under ${checkpointDir} has no usable consumed.json (missing, or written before token ranges were recorded); steps up to ${chain.brokenAt} are not recorded`,
    );
  }
  const rows = trainingOrderRows(req.runId, req.node.id, chain.windows, await docSources(deps, req));
  await deps.lineage.replaceTrainingOrder(req.runId, req.node.id, rows);
  return { rows: rows.length, windows: chain.windows.length };
}
