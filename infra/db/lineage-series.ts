/**
 * Per-step series: metric curves (loss by optimizer step) and training order
 * (which document ranges each checkpoint window consumed). Batched, idempotent writes.
 */
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { BraiseDb } from './client.ts';
import { metrics, trainingOrder, type TrainingOrderRow } from './schema.ts';

/** Rows per INSERT: well under Postgres's 65535 bind parameters for the widest table (8 columns). */
const BATCH = 1000;

/** One curve: `points` are `[step, value]`, ordered by step. */
export interface MetricSeries {
  stage: string;
  name: string;
  points: Array<[number, number]>;
}

export type TrainingOrderInput = TrainingOrderRow;

export async function recordMetrics(
  db: BraiseDb,
  runId: string,
  stageId: string,
  name: string,
  points: Array<[number, number]>,
): Promise<void> {
  // One row per step, last point wins: ON CONFLICT DO UPDATE may not touch a row twice in one statement.
  const byStep = new Map<number, number>();
  points.forEach(([step, value], i) => {
    if (!Number.isSafeInteger(step)) {
      throw new Error(`recordMetrics ${runId}/${stageId}/${name}: points[${i}][0] (step) must be an integer, got ${step}`);
    }
    if (typeof value !== 'number') {
      throw new Error(`recordMetrics ${runId}/${stageId}/${name}: points[${i}][1] (value) must be a number`);
    }
    byStep.set(step, value);
  });
  const rows = [...byStep].map(([step, value]) => ({ runId, stageId, name, step, value }));
  for (let i = 0; i < rows.length; i += BATCH) {
    await db
      .insert(metrics)
      .values(rows.slice(i, i + BATCH))
      .onConflictDoUpdate({
        target: [metrics.runId, metrics.stageId, metrics.name, metrics.step],
        set: { value: sql`excluded.value` },
      });
  }
}

export async function metricsForRun(
  db: BraiseDb,
  runId: string,
  q: { stage?: string; name?: string },
): Promise<MetricSeries[]> {
  const where: SQL[] = [eq(metrics.runId, runId)];
  if (q.stage !== undefined) where.push(eq(metrics.stageId, q.stage));
  if (q.name !== undefined) where.push(eq(metrics.name, q.name));
  const rows = await db
    .select()
    .from(metrics)
    .where(and(...where))
    .orderBy(asc(metrics.stageId), asc(metrics.name), asc(metrics.step));
  const series: MetricSeries[] = [];
  let current: MetricSeries | undefined;
  for (const r of rows) {
    if (!current || current.stage !== r.stageId || current.name !== r.name) {
      current = { stage: r.stageId, name: r.name, points: [] };
      series.push(current);
    }
    current.points.push([r.step, r.value]);
  }
  return series;
}

export async function recordTrainingOrder(db: BraiseDb, rows: TrainingOrderInput[]): Promise<void> {
  rows.forEach((r, i) => {
    const ints = { checkpointStep: r.checkpointStep, seq: r.seq, tokenStart: r.tokenStart, tokenEnd: r.tokenEnd };
    for (const [field, v] of Object.entries(ints)) {
      if (!Number.isSafeInteger(v) || v < 0) {
        throw new Error(`recordTrainingOrder: rows[${i}].${field} must be a non-negative integer, got ${v}`);
      }
    }
    if (r.tokenEnd < r.tokenStart) {
      throw new Error(`recordTrainingOrder: rows[${i}].tokenEnd (${r.tokenEnd}) is before tokenStart (${r.tokenStart})`);
    }
  });
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH).map((r) => ({
      runId: r.runId,
      stageId: r.stageId,
      checkpointStep: r.checkpointStep,
      seq: r.seq,
      datasetArtifactId: r.datasetArtifactId,
      docId: r.docId,
      tokenStart: r.tokenStart,
      tokenEnd: r.tokenEnd,
    }));
    await db.insert(trainingOrder).values(batch).onConflictDoNothing();
  }
}

export function trainingOrderForDocument(
  db: BraiseDb,
  datasetArtifactId: string,
  docId: string,
): Promise<TrainingOrderRow[]> {
  return db
    .select()
    .from(trainingOrder)
    .where(and(eq(trainingOrder.datasetArtifactId, datasetArtifactId), eq(trainingOrder.docId, docId)))
    .orderBy(asc(trainingOrder.runId), asc(trainingOrder.stageId), asc(trainingOrder.checkpointStep), asc(trainingOrder.seq));
}
