/**
 * Document provenance: the `training_order` rows of a training stage (which token ranges of which
 * documents each checkpoint window consumed) and the question DESIGN promises, "which checkpoints
 * saw this document". A stage's rows are replaced as a whole, in one transaction, so a retried or
 * resumed attempt that redid steps leaves exactly the windows its final model saw, each once.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { DocumentTrainingWindow } from '../../service/contract.ts';
import type { BraiseDb } from './client.ts';
import { artifacts, edges, steps, trainingOrder, type TrainingOrderRow } from './schema.ts';

/** Rows per INSERT: 8 columns, well under Postgres's 65535 bind parameters. */
const BATCH = 1000;

/** One checkpoint window that read part of a document: the service's DocumentTrainingWindow, defined once there. */
export type DocumentTrainingEntry = DocumentTrainingWindow;

function check(rows: readonly TrainingOrderRow[], runId: string, stageId: string): void {
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    const at = `replaceTrainingOrder ${runId}/${stageId}: rows[${i}]`;
    if (r.runId !== runId || r.stageId !== stageId) throw new Error(`${at} belongs to ${r.runId}/${r.stageId}`);
    for (const [field, v] of Object.entries({ checkpointStep: r.checkpointStep, seq: r.seq, tokenStart: r.tokenStart, tokenEnd: r.tokenEnd })) {
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${at}.${field} must be a non-negative integer, got ${v}`);
    }
    if (r.tokenEnd <= r.tokenStart) throw new Error(`${at}.tokenEnd (${r.tokenEnd}) must be after tokenStart (${r.tokenStart})`);
    const key = `${r.checkpointStep}/${r.seq}`;
    if (seen.has(key)) throw new Error(`${at}: checkpoint ${r.checkpointStep} has seq ${r.seq} twice`);
    seen.add(key);
  });
}

/** Replaces every training_order row of (run, stage) with `rows`, atomically; repeating it changes nothing. */
export async function replaceTrainingOrder(db: BraiseDb, runId: string, stageId: string, rows: readonly TrainingOrderRow[]): Promise<void> {
  check(rows, runId, stageId);
  await db.transaction(async (tx) => {
    const ids = [...new Set(rows.map((r) => r.datasetArtifactId))];
    if (ids.length > 0) {
      const known = new Set((await tx.select({ id: artifacts.id }).from(artifacts).where(inArray(artifacts.id, ids))).map((k) => k.id));
      const missing = ids.find((id) => !known.has(id));
      if (missing !== undefined) throw new Error(`replaceTrainingOrder ${runId}/${stageId}: dataset ${missing} is not a recorded artifact`);
    }
    await tx.delete(trainingOrder).where(and(eq(trainingOrder.runId, runId), eq(trainingOrder.stageId, stageId)));
    for (let i = 0; i < rows.length; i += BATCH) await tx.insert(trainingOrder).values(rows.slice(i, i + BATCH));
  });
}

/**
 * Every checkpoint window that read document `docId` from one of `datasetArtifactIds`, ordered by
 * run, stage and step, each with the document's token ranges.
 */
export async function documentTraining(db: BraiseDb, datasetArtifactIds: readonly string[], docId: string): Promise<DocumentTrainingEntry[]> {
  if (datasetArtifactIds.length === 0) return [];
  const rows = await db
    .select()
    .from(trainingOrder)
    .where(and(inArray(trainingOrder.datasetArtifactId, [...datasetArtifactIds]), eq(trainingOrder.docId, docId)))
    .orderBy(asc(trainingOrder.runId), asc(trainingOrder.stageId), asc(trainingOrder.checkpointStep), asc(trainingOrder.datasetArtifactId), asc(trainingOrder.tokenStart));
  const entries: DocumentTrainingEntry[] = [];
  const stages = new Map<string, { checkpoints: number[]; model: string | null }>();
  for (const r of rows) {
    const stageKey = JSON.stringify([r.runId, r.stageId]);
    let stage = stages.get(stageKey);
    if (stage === undefined) {
      stage = { checkpoints: await checkpointsOf(db, r.runId, r.stageId), model: await modelOf(db, r.runId, r.stageId) };
      stages.set(stageKey, stage);
    }
    const last = entries.at(-1);
    if (last && last.runId === r.runId && last.stageId === r.stageId && last.checkpointStep === r.checkpointStep && last.datasetArtifactId === r.datasetArtifactId) {
      last.tokenRanges.push([r.tokenStart, r.tokenEnd]);
      continue;
    }
    const before = stage.checkpoints.filter((s) => s < r.checkpointStep);
    entries.push({
      runId: r.runId,
      stageId: r.stageId,
      datasetArtifactId: r.datasetArtifactId,
      fromStep: before.at(-1) ?? 0,
      checkpointStep: r.checkpointStep,
      tokenRanges: [[r.tokenStart, r.tokenEnd]],
      modelArtifactId: stage.model,
    });
  }
  return entries;
}

/** The checkpoint steps recorded for (run, stage), ascending (the primary key's prefix serves it). */
async function checkpointsOf(db: BraiseDb, runId: string, stageId: string): Promise<number[]> {
  const rows = await db
    .selectDistinct({ step: trainingOrder.checkpointStep })
    .from(trainingOrder)
    .where(and(eq(trainingOrder.runId, runId), eq(trainingOrder.stageId, stageId)))
    .orderBy(asc(trainingOrder.checkpointStep));
  return rows.map((r) => r.step);
}

/** The `model` output of the completed step of (run, stage), if any. */
async function modelOf(db: BraiseDb, runId: string, stageId: string): Promise<string | null> {
  const [row] = await db
    .select({ id: edges.artifactId })
    .from(steps)
    .innerJoin(edges, and(eq(edges.stepId, steps.id), eq(edges.direction, 'produced'), eq(edges.port, 'model')))
    .where(and(eq(steps.runId, runId), eq(steps.stageId, stageId), eq(steps.status, 'completed')))
    .orderBy(sql`${steps.finishedAt} DESC NULLS LAST`)
    .limit(1);
  return row?.id ?? null;
}
