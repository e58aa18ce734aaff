/**
 * Per-step series: metric curves (loss by optimizer step) and training order
 * (which document ranges each checkpoint window consumed). Batched, idempotent writes.
 * Curves are recorded once, by the step that computes them; a run whose stage came
 * from the cache reads them through the cached step's `cached_from_step`.
 */
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { BraiseDb } from './client.ts';
import type { StepOrigin } from './lineage-types.ts';
import { metrics, steps, trainingOrder, type TrainingOrderRow } from './schema.ts';

/** Rows per INSERT: well under Postgres's 65535 bind parameters for the widest table (8 columns). */
const BATCH = 1000;

/** One curve: `points` are `[step, value]`, ordered by step. */
export interface MetricSeries {
  /** The stage of the run asked about. */
  stage: string;
  name: string;
  /** The run and stage that recorded the curve: the run itself, or for a cached stage the one that computed it. */
  producedBy: StepOrigin;
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

/** Stages of a run whose latest step came from the cache, with the step that computed their outputs. */
async function cachedStages(db: BraiseDb, runId: string, stage: string | undefined): Promise<Map<string, StepOrigin>> {
  const producer = alias(steps, 'producer');
  const where: SQL[] = [eq(steps.runId, runId)];
  if (stage !== undefined) where.push(eq(steps.stageId, stage));
  const rows = await db
    .select({ stageId: steps.stageId, status: steps.status, producer: { runId: producer.runId, stageId: producer.stageId } })
    .from(steps)
    .leftJoin(producer, eq(producer.id, steps.cachedFromStep))
    .where(and(...where))
    .orderBy(asc(steps.stageId), asc(steps.attempt));
  const latest = new Map<string, (typeof rows)[number]>();
  for (const r of rows) latest.set(r.stageId, r); // ordered by attempt: the last one wins
  const out = new Map<string, StepOrigin>();
  for (const [stageId, r] of latest) if (r.status === 'cached' && r.producer) out.set(stageId, r.producer);
  return out;
}

async function seriesOf(db: BraiseDb, origin: { runId: string; stageId?: string }, name: string | undefined): Promise<MetricSeries[]> {
  const where: SQL[] = [eq(metrics.runId, origin.runId)];
  if (origin.stageId !== undefined) where.push(eq(metrics.stageId, origin.stageId));
  if (name !== undefined) where.push(eq(metrics.name, name));
  const rows = await db
    .select()
    .from(metrics)
    .where(and(...where))
    .orderBy(asc(metrics.stageId), asc(metrics.name), asc(metrics.step));
  const series: MetricSeries[] = [];
  let current: MetricSeries | undefined;
  for (const r of rows) {
    if (!current || current.stage !== r.stageId || current.name !== r.name) {
      current = { stage: r.stageId, name: r.name, producedBy: { runId: r.runId, stageId: r.stageId }, points: [] };
      series.push(current);
    }
    current.points.push([r.step, r.value]);
  }
  return series;
}

export async function metricsForRun(
  db: BraiseDb,
  runId: string,
  q: { stage?: string; name?: string },
): Promise<MetricSeries[]> {
  const cached = await cachedStages(db, runId, q.stage);
  // The run's own curves, except those of stages it took from the cache (points of an earlier, failed attempt).
  const series = (await seriesOf(db, { runId, ...(q.stage !== undefined && { stageId: q.stage }) }, q.name)).filter((s) => !cached.has(s.stage));
  for (const [stage, origin] of cached) {
    for (const s of await seriesOf(db, origin, q.name)) series.push({ ...s, stage });
  }
  return series.sort((a, b) => (a.stage === b.stage ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.stage < b.stage ? -1 : 1));
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
