/**
 * LineageStore: the SQL of lineage, reads and writes. The rest of Braise reads lineage here and writes it
 * only through the recorder (infra/db/recorder.ts, the service layer's port), which calls these writes.
 *
 * Temporal retries activities at any point, so every write here is idempotent:
 * calling it again with the same arguments leaves the same rows, never more.
 */
import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { BraiseDb, Database } from './client.ts';
import { downstream, upstream, type LineageNode } from './lineage-graph.ts';
import { recordMetrics, metricsForRun, recordTrainingOrder, trainingOrderForDocument } from './lineage-series.ts';
import type { MetricSeries, TrainingOrderInput } from './lineage-series.ts';
import { documentTraining, replaceTrainingOrder, type DocumentTrainingEntry } from './provenance.ts';
import { decodeRunCursor, encodeRunCursor } from './run-cursor.ts';
import { appendStageLogs, nextStageLogSeq, stageLogsForRun, type LogCursor } from './stage-logs.ts';
import { TERMINAL_RUN_STATUSES } from '../../service/status.ts';
import { artifacts, edges, runs, stageClaims, steps } from './schema.ts';
import type { ArtifactRow, RunRow, RunStatus, StageLogRow, TrainingOrderRow } from './schema.ts';
import type {
  BeginStepInput,
  CachedOutputs,
  FinishStepInput,
  ListRunsQuery,
  RecordArtifactInput,
  StageClaim,
  StepWithEdges,
  UpsertRunInput,
} from './lineage-types.ts';

export type * from './lineage-types.ts';
export type { LineageNode, Producer } from './lineage-graph.ts';
export type { MetricSeries, TrainingOrderInput } from './lineage-series.ts';
export type { DocumentTrainingEntry } from './provenance.ts';
export type {
  ArtifactKind,
  ArtifactRow,
  EdgeDirection,
  RunRow,
  RunStatus,
  StepRow,
  StepStatus,
  TrainingOrderRow,
} from './schema.ts';

/** The deterministic id of a step row. */
export function stepId(runId: string, stageId: string, attempt: number): string {
  return `${runId}/${stageId}/${attempt}`;
}

export class LineageStore {
  private readonly db: BraiseDb;

  constructor(database: Database) {
    this.db = database.db;
  }

  /** Creates the run, or updates everything but `createdAt` if it exists. */
  async upsertRun(r: UpsertRunInput): Promise<void> {
    const values = {
      workflowId: r.workflowId,
      recipeName: r.recipeName,
      recipeHash: r.recipeHash,
      plan: r.plan,
      options: r.options,
      status: r.status,
      resumedFrom: r.resumedFrom ?? null,
      temporalUiUrl: r.temporalUiUrl ?? null,
      schedule: scheduleOf(r.options),
    };
    await this.db
      .insert(runs)
      .values({ id: r.id, ...values, finishedAt: TERMINAL_RUN_STATUSES.has(r.status) ? sql`now()` : null })
      .onConflictDoUpdate({
        target: runs.id,
        // A run that ended stays ended: the workflow's own "running" upsert can land after the run was terminated
        // from outside and recorded failed (its first local activity was already in flight).
        set: { ...values, status: sql`case when ${runs.status} in ${ENDED} then ${runs.status} else excluded.status end`, updatedAt: sql`now()`, finishedAt: sql`case when ${runs.status} in ${ENDED} then ${runs.finishedAt} else ${finishedAtFor(r.status)} end` },
      });
  }

  /** Sets a run's status (and error, cleared when absent); stamps `finishedAt` once it ends. Throws if no such run. */
  async setRunStatus(id: string, status: RunStatus, error?: string | null): Promise<void> {
    const updated = await this.db
      .update(runs)
      .set({ status, error: error ?? null, updatedAt: sql`now()`, finishedAt: finishedAtFor(status) })
      .where(eq(runs.id, id))
      .returning({ id: runs.id });
    if (updated.length === 0) throw new Error(`setRunStatus: no run with id ${JSON.stringify(id)}`);
  }

  async getRun(id: string): Promise<RunRow | null> {
    const [row] = await this.db.select().from(runs).where(eq(runs.id, id));
    return row ?? null;
  }

  /** Runs newest first, optionally filtered; pass `nextCursor` back to get the next page (null on the last). */
  async listRuns(q: ListRunsQuery = {}): Promise<{ runs: RunRow[]; nextCursor: string | null }> {
    const limit = q.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new Error(`listRuns: limit must be an integer in 1..500, got ${limit}`);
    }
    const where: SQL[] = [];
    if (q.recipe !== undefined) where.push(eq(runs.recipeName, q.recipe));
    if (q.status !== undefined) where.push(eq(runs.status, q.status));
    if (q.schedule !== undefined) where.push(eq(runs.schedule, q.schedule));
    if (q.cursor !== undefined) {
      const c = decodeRunCursor(q.cursor);
      where.push(sql`(${runs.createdAt}, ${runs.id}) < (${c.createdAt.toISOString()}::timestamptz, ${c.id})`);
    }
    const rows = await this.db
      .select()
      .from(runs)
      .where(and(...where))
      .orderBy(desc(runs.createdAt), desc(runs.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeRunCursor(last) : null;
    return { runs: page, nextCursor };
  }

  /**
   * Records that a stage attempt started and returns its step id. A repeated call
   * for the same (run, stage, attempt) changes nothing, whatever state the step is in.
   */
  async beginStep(s: BeginStepInput): Promise<string> {
    requireAttempt('beginStep', s.attempt);
    const id = stepId(s.runId, s.stageId, s.attempt);
    await this.db
      .insert(steps)
      .values({
        id,
        runId: s.runId,
        stageId: s.stageId,
        kind: s.kind,
        attempt: s.attempt,
        cacheKey: s.cacheKey,
        queue: s.queue,
        status: 'running',
      })
      .onConflictDoNothing();
    return id;
  }

  /**
   * Ends a step begun with {@link beginStep}: its status, metrics and the edges to
   * the artifacts it consumed and produced, in one transaction. Every artifact
   * must already be recorded ({@link recordArtifact}). Throws if the step was never begun.
   */
  async finishStep(s: FinishStepInput): Promise<void> {
    requireAttempt('finishStep', s.attempt);
    const id = stepId(s.runId, s.stageId, s.attempt);
    const where = `finishStep ${id}`;
    if (s.durationMs !== undefined && !(Number.isInteger(s.durationMs) && s.durationMs >= 0)) {
      throw new Error(`${where}: durationMs must be a non-negative integer, got ${s.durationMs}`);
    }
    await this.db.transaction(async (tx) => {
      const ports = [
        ...s.inputs.map((p, i) => ({ ...p, at: `inputs[${i}]`, direction: 'consumed' as const })),
        ...s.outputs.map((p, i) => ({ ...p, at: `outputs[${i}]`, direction: 'produced' as const })),
      ];
      if (ports.length > 0) {
        const ids = [...new Set(ports.map((p) => p.artifactId))];
        const known = await tx.select({ id: artifacts.id }).from(artifacts).where(inArray(artifacts.id, ids));
        const knownIds = new Set(known.map((k) => k.id));
        const missing = ports.find((p) => !knownIds.has(p.artifactId));
        if (missing) {
          throw new Error(
            `${where}: ${missing.at} (port ${missing.port}) names artifact ${missing.artifactId}, which is not recorded; call recordArtifact first`,
          );
        }
      }
      const updated = await tx
        .update(steps)
        .set({
          status: s.status,
          error: s.error ?? null,
          metrics: s.metrics ?? null,
          ...(s.cachedFrom !== undefined && { cachedFromStep: s.cachedFrom }),
          finishedAt: sql`coalesce(${steps.finishedAt}, now())`,
          durationMs:
            s.durationMs ??
            sql`coalesce(${steps.durationMs}, (extract(epoch from (now() - ${steps.startedAt})) * 1000)::int)`,
        })
        .where(eq(steps.id, id))
        .returning({ id: steps.id });
      if (updated.length === 0) throw new Error(`${where}: no such step; call beginStep first`);
      if (s.cachedFrom !== undefined && s.status !== 'cached') throw new Error(`${where}: cachedFrom is only for cached steps, not ${s.status}`);
      if (ports.length > 0) {
        await tx
          .insert(edges)
          .values(ports.map((p) => ({ stepId: id, artifactId: p.artifactId, direction: p.direction, port: p.port })))
          .onConflictDoNothing();
      }
    });
  }

  /** Records an artifact; artifacts are immutable, so a second call with the same id keeps the first row. */
  async recordArtifact(a: RecordArtifactInput): Promise<void> {
    if (!Number.isSafeInteger(a.bytes) || a.bytes < 0) {
      throw new Error(`recordArtifact ${a.id}: bytes must be a non-negative integer, got ${a.bytes}`);
    }
    await this.db
      .insert(artifacts)
      .values({ id: a.id, kind: a.kind, uri: a.uri, bytes: a.bytes, meta: a.meta })
      .onConflictDoNothing();
  }

  async getArtifact(id: string): Promise<ArtifactRow | null> {
    const [row] = await this.db.select().from(artifacts).where(eq(artifacts.id, id));
    return row ?? null;
  }

  /**
   * The outputs of the most recently finished `completed` step with this cache key,
   * or null. `cached` steps are never returned: they point at such an original.
   */
  async findCachedOutputs(cacheKey: string): Promise<CachedOutputs | null> {
    const [step] = await this.db
      .select()
      .from(steps)
      .where(and(eq(steps.cacheKey, cacheKey), eq(steps.status, 'completed')))
      .orderBy(sql`${steps.finishedAt} DESC NULLS LAST`, desc(steps.startedAt), desc(steps.id))
      .limit(1);
    if (!step) return null;
    const outputs = await this.db
      .select({ port: edges.port, artifact: artifacts })
      .from(edges)
      .innerJoin(artifacts, eq(artifacts.id, edges.artifactId))
      .where(and(eq(edges.stepId, step.id), eq(edges.direction, 'produced')))
      .orderBy(asc(edges.port), asc(edges.artifactId));
    return { stepId: step.id, runId: step.runId, stageId: step.stageId, outputs, metrics: step.metrics ?? {} };
  }

  /** The newest sweep report of a run of `schedule` created before run `runId` (the report activity's "previous report"). */
  async previousSweepReport(schedule: string, runId: string): Promise<{ artifactId: string; runId: string } | null> {
    const [row] = await this.db
      .select({ artifactId: artifacts.id, runId: runs.id })
      .from(artifacts)
      .innerJoin(runs, eq(runs.id, sql`${artifacts.meta}->>'runId'`))
      .where(
        and(
          eq(artifacts.kind, 'report'),
          sql`${artifacts.meta} @> ${JSON.stringify({ kind: 'sweep-report', schedule })}::jsonb`,
          sql`${runs.id} <> ${runId}`,
          sql`${runs.createdAt} < coalesce((select r.created_at from runs r where r.id = ${runId}), now())`,
        ),
      )
      .orderBy(desc(runs.createdAt), desc(runs.id))
      .limit(1);
    return row ?? null;
  }

  /** The cells of an ablation run: the runs whose options name it as their parent, by cell. */
  async childRuns(parentRunId: string): Promise<RunRow[]> {
    return this.db
      .select()
      .from(runs)
      // Cells name their index; an ablation stage's proxies (which name their stage instead) are not cells.
      .where(sql`${runs.options}->'parent'->>'runId' = ${parentRunId} and (${runs.options}->'parent'->>'cell') is not null`)
      .orderBy(sql`(${runs.options}->'parent'->>'cell')::int`);
  }

  /**
   * Claims `cacheKey` for `claim` (INSERT … ON CONFLICT DO NOTHING) unless someone holds it, and returns the holder:
   * `claim` itself when it won or already held it (a retried call), else the other run's claim.
   */
  async claimStage(cacheKey: string, claim: StageClaim): Promise<StageClaim> {
    for (;;) {
      const won = await this.db
        .insert(stageClaims)
        .values({ cacheKey, ownerRunId: claim.runId, workflowId: claim.workflowId, stageId: claim.stageId })
        .onConflictDoNothing()
        .returning({ cacheKey: stageClaims.cacheKey });
      if (won.length > 0) return claim;
      const held = await this.stageClaim(cacheKey);
      // Released between the two statements: claim it again.
      if (held) return held;
    }
  }

  /** Moves `cacheKey`'s claim from `from` to `to` if `from` still holds it (a conditional UPDATE: one caller wins). */
  async takeOverStageClaim(cacheKey: string, from: StageClaim, to: StageClaim): Promise<boolean> {
    const moved = await this.db
      .update(stageClaims)
      .set({ ownerRunId: to.runId, workflowId: to.workflowId, stageId: to.stageId, claimedAt: sql`now()` })
      .where(
        and(
          eq(stageClaims.cacheKey, cacheKey),
          eq(stageClaims.ownerRunId, from.runId),
          eq(stageClaims.workflowId, from.workflowId),
          eq(stageClaims.stageId, from.stageId),
        ),
      )
      .returning({ cacheKey: stageClaims.cacheKey });
    return moved.length > 0;
  }

  /** Deletes `cacheKey`'s claim if run `runId`'s stage `stageId` holds it (a repeated call changes nothing). */
  async releaseStageClaim(cacheKey: string, runId: string, stageId: string): Promise<void> {
    await this.db
      .delete(stageClaims)
      .where(and(eq(stageClaims.cacheKey, cacheKey), eq(stageClaims.ownerRunId, runId), eq(stageClaims.stageId, stageId)));
  }

  /** The claim of `cacheKey`, if a run holds it. */
  async stageClaim(cacheKey: string): Promise<StageClaim | null> {
    const [held] = await this.db.select().from(stageClaims).where(eq(stageClaims.cacheKey, cacheKey));
    return held ? { runId: held.ownerRunId, workflowId: held.workflowId, stageId: held.stageId } : null;
  }

  /** Upserts curve points `[step, value]`; a point already stored for that step takes the new value. */
  recordMetrics(runId: string, stageId: string, name: string, points: Array<[number, number]>): Promise<void> {
    return recordMetrics(this.db, runId, stageId, name, points);
  }

  /**
   * Curves of a run, one per (stage, name), points ordered by step. A stage that came from the cache has the curves
   * of the step that computed its outputs; every series says whose they are (`producedBy`).
   */
  metricsForRun(runId: string, q: { stage?: string; name?: string } = {}): Promise<MetricSeries[]> {
    return metricsForRun(this.db, runId, q);
  }

  /** Appends stage log lines; a line already stored (run, stage, attempt, seq) stays as it was. */
  appendStageLogs(rows: readonly StageLogRow[]): Promise<void> {
    return appendStageLogs(this.db, rows);
  }

  /** The seq after the last log line of this stage attempt (0 when none). */
  nextStageLogSeq(runId: string, stageId: string, attempt: number): Promise<number> {
    return nextStageLogSeq(this.db, runId, stageId, attempt);
  }

  /** A page of a run's stage log lines after `after` (oldest first) and the cursor past them (stage-logs.ts). */
  stageLogsForRun(runId: string, q: { stage?: string; after?: LogCursor; limit: number }): Promise<{ lines: StageLogRow[]; cursor: LogCursor }> {
    return stageLogsForRun(this.db, runId, q);
  }

  /** Every step (attempt) of a run in start order, with its edges. */
  async stepsForRun(runId: string): Promise<StepWithEdges[]> {
    const producer = alias(steps, 'producer');
    const joined = await this.db
      .select({ step: steps, producer: { runId: producer.runId, stageId: producer.stageId } })
      .from(steps)
      .leftJoin(producer, eq(producer.id, steps.cachedFromStep))
      .where(eq(steps.runId, runId))
      .orderBy(asc(steps.startedAt), asc(steps.stageId), asc(steps.attempt));
    const rows = joined.map((r) => ({ ...r.step, cachedFrom: r.producer }));
    if (rows.length === 0) return [];
    const stepEdges = await this.db
      .select({ stepId: edges.stepId, direction: edges.direction, port: edges.port, artifactId: edges.artifactId })
      .from(edges)
      .innerJoin(steps, eq(steps.id, edges.stepId))
      .where(eq(steps.runId, runId))
      .orderBy(asc(edges.port), asc(edges.artifactId));
    return rows.map((step) => {
      const mine = stepEdges.filter((e) => e.stepId === step.id);
      const pick = (d: 'consumed' | 'produced') =>
        mine.filter((e) => e.direction === d).map((e) => ({ port: e.port, artifactId: e.artifactId }));
      return { ...step, inputs: pick('consumed'), outputs: pick('produced') };
    });
  }

  /** Records which document ranges each checkpoint's training window consumed; repeats are ignored. */
  recordTrainingOrder(rows: TrainingOrderInput[]): Promise<void> {
    return recordTrainingOrder(this.db, rows);
  }

  /** Every training window (run, stage, checkpoint) that consumed a range of this document. */
  trainingOrderForDocument(datasetArtifactId: string, docId: string): Promise<TrainingOrderRow[]> {
    return trainingOrderForDocument(this.db, datasetArtifactId, docId);
  }

  /** Replaces a training stage's training order as a whole (see `provenance.ts`): retries and redone steps never duplicate. */
  replaceTrainingOrder(runId: string, stageId: string, rows: readonly TrainingOrderRow[]): Promise<void> {
    return replaceTrainingOrder(this.db, runId, stageId, rows);
  }

  /** The checkpoint windows that read `docId` from any of these datasets, grouped, with token ranges. */
  documentTraining(datasetArtifactIds: readonly string[], docId: string): Promise<DocumentTrainingEntry[]> {
    return documentTraining(this.db, datasetArtifactIds, docId);
  }

  /** Everything `artifactId` was derived from, transitively, down to source datasets. */
  upstream(artifactId: string): Promise<LineageNode[]> {
    return upstream(this.db, artifactId);
  }

  /** Everything derived from `artifactId`, transitively. */
  downstream(artifactId: string): Promise<LineageNode[]> {
    return downstream(this.db, artifactId);
  }
}

/** `finished_at` after moving to `status`: stamped once when the run ends, cleared when it runs again. */
/** The terminal statuses as an SQL list: `in ${ENDED}`. */
const ENDED = sql`(${sql.join([...TERMINAL_RUN_STATUSES].map((st) => sql`${st}`), sql`, `)})`;

function finishedAtFor(status: RunStatus): SQL | null {
  return TERMINAL_RUN_STATUSES.has(status) ? sql`coalesce(${runs.finishedAt}, now())` : null;
}

function requireAttempt(where: string, attempt: number): void {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new Error(`${where}: attempt must be an integer >= 1, got ${attempt}`);
  }
}

/** The schedule a run's options name (`options.schedule`, set by the `scheduledRun` workflow), or null. */
function scheduleOf(options: unknown): string | null {
  const schedule = typeof options === 'object' && options !== null ? (options as { schedule?: unknown }).schedule : undefined;
  return typeof schedule === 'string' ? schedule : null;
}
