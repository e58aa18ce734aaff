/**
 * Lineage is written in one place: the LineageRecorder (the port in service/lineage.ts) over the lineage
 * store. The run service writes runs and their status through it, and the activities get it as their deps'
 * `lineage` (with the two reads they need), so the control activities' steps and a training stage's curves
 * and training order are written through it too. The SQL stays in the store, whose writes are idempotent; the
 * recorder adds nothing and changes nothing about what is written or when, it only makes the store's write
 * side reachable by this one interface (nothing outside infra/db/ and tests calls a store write directly).
 */
import type { ActivityLineage, LineageRecorder, StageLogLine, TrainingOrderRow as PortTrainingOrderRow } from '../../service/lineage.ts';
import type { LineageStore } from './lineage.ts';
import type { StageLogRow, TrainingOrderRow } from './schema.ts';

// The port's training-order row is the table's row: a column added to one and not the other fails to compile.
const _sameRow: [TrainingOrderRow, PortTrainingOrderRow] extends [PortTrainingOrderRow, TrainingOrderRow] ? true : never = true;
void _sameRow;
const _sameLogRow: [StageLogRow, StageLogLine] extends [StageLogLine, StageLogRow] ? true : never = true;
void _sameLogRow;

/** Every lineage write, over `store`. */
export function lineageRecorder(store: LineageStore): LineageRecorder {
  return {
    upsertRun: (run) => store.upsertRun(run),
    setRunStatus: (runId, status, error) => store.setRunStatus(runId, status, error),
    beginStep: (step) => store.beginStep(step),
    recordArtifact: (artifact) => store.recordArtifact(artifact),
    finishStep: (step) => store.finishStep(step),
    recordMetrics: (runId, stageId, name, points) => store.recordMetrics(runId, stageId, name, points),
    appendStageLogs: (lines) => store.appendStageLogs(lines),
    replaceTrainingOrder: (runId, stageId, rows) => store.replaceTrainingOrder(runId, stageId, rows),
    claimStage: (cacheKey, claim) => store.claimStage(cacheKey, claim),
    takeOverStageClaim: (cacheKey, from, to) => store.takeOverStageClaim(cacheKey, from, to),
    releaseStageClaim: (cacheKey, runId, stageId) => store.releaseStageClaim(cacheKey, runId, stageId),
  };
}

/** Lineage as activities receive it: the recorder, and the run and cache look-ups they need. */
export function activityLineage(store: LineageStore, recorder: LineageRecorder = lineageRecorder(store)): ActivityLineage {
  return {
    ...recorder,
    getRun: (runId) => store.getRun(runId),
    findCachedOutputs: (cacheKey) => store.findCachedOutputs(cacheKey),
    previousSweepReport: (schedule, runId) => store.previousSweepReport(schedule, runId),
    nextStageLogSeq: (runId, stageId, attempt) => store.nextStageLogSeq(runId, stageId, attempt),
  };
}
