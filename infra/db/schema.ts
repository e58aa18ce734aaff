/**
 * The lineage schema (drizzle pg-core). Every change here needs a new committed
 * migration: `npx drizzle-kit generate` writes it to `infra/db/migrations/`.
 *
 * Tables: runs, steps (one row per stage attempt), artifacts (content-addressed),
 * edges (step consumed / produced artifact), metrics (curves), training_order
 * (which document ranges each checkpoint consumed), stage_claims (single flight by cache key), schedules,
 * api_tokens, stage_logs (each stage attempt's log lines, capped).
 */
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';
import { ARTIFACT_KINDS, type ArtifactKind } from '../../datasets/types.ts';
import { RUN_STATUSES, STEP_STATUSES, type RunStatus, type StepStatus } from '../../service/status.ts';

// The statuses and kinds are defined once (service/status.ts, datasets/types.ts); the check constraints take them.
export { ARTIFACT_KINDS, RUN_STATUSES, STEP_STATUSES };
export type { ArtifactKind, RunStatus, StepStatus };

export const EDGE_DIRECTIONS = ['consumed', 'produced'] as const;
export type EdgeDirection = (typeof EDGE_DIRECTIONS)[number];

/** `col IN ('a', 'b')` for a check constraint (values are our own constants, never user input). */
function oneOf(column: string, values: readonly string[]) {
  return sql.raw(`"${column}" IN (${values.map((v) => `'${v}'`).join(', ')})`);
}

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const runs = pgTable(
  'runs',
  {
    id: text('id').primaryKey(),
    workflowId: text('workflow_id').notNull(),
    recipeName: text('recipe_name').notNull(),
    recipeHash: text('recipe_hash').notNull(),
    plan: jsonb('plan').$type<unknown>().notNull(),
    options: jsonb('options').$type<unknown>().notNull(),
    status: text('status', { enum: RUN_STATUSES }).notNull(),
    error: text('error'),
    resumedFrom: text('resumed_from'),
    temporalUiUrl: text('temporal_ui_url'),
    /** The schedule that started the run (its `options.schedule`); null for runs started by hand. */
    schedule: text('schedule'),
    // Millisecond precision so a JS Date in a listRuns cursor compares exactly with the stored value.
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    check('runs_status_check', oneOf('status', RUN_STATUSES)),
    index('runs_created_idx').on(t.createdAt.desc(), t.id.desc()),
    index('runs_recipe_created_idx').on(t.recipeName, t.createdAt.desc(), t.id.desc()),
    index('runs_status_created_idx').on(t.status, t.createdAt.desc(), t.id.desc()),
    index('runs_schedule_created_idx').on(t.schedule, t.createdAt.desc(), t.id.desc()),
    index('runs_workflow_idx').on(t.workflowId),
  ],
);

export const steps = pgTable(
  'steps',
  {
    id: text('id').primaryKey(),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id),
    stageId: text('stage_id').notNull(),
    kind: text('kind').notNull(),
    attempt: integer('attempt').notNull(),
    cacheKey: text('cache_key').notNull(),
    status: text('status', { enum: STEP_STATUSES }).notNull(),
    queue: text('queue').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    durationMs: integer('duration_ms'),
    error: text('error'),
    metrics: jsonb('metrics').$type<Record<string, number>>(),
    /** A `cached` step: the `completed` step whose outputs (and metric curves) it reused. */
    cachedFromStep: text('cached_from_step').references((): AnyPgColumn => steps.id),
  },
  (t) => [
    unique('steps_run_stage_attempt_uq').on(t.runId, t.stageId, t.attempt),
    check('steps_status_check', oneOf('status', STEP_STATUSES)),
    index('steps_cache_idx').on(t.cacheKey, t.status, t.finishedAt.desc()),
  ],
);

export const artifacts = pgTable(
  'artifacts',
  {
    /** sha256 of the artifact's content. */
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ARTIFACT_KINDS }).notNull(),
    uri: text('uri').notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull(),
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  () => [check('artifacts_kind_check', oneOf('kind', ARTIFACT_KINDS))],
);

export const edges = pgTable(
  'edges',
  {
    stepId: text('step_id')
      .notNull()
      .references(() => steps.id),
    artifactId: text('artifact_id')
      .notNull()
      .references(() => artifacts.id),
    direction: text('direction', { enum: EDGE_DIRECTIONS }).notNull(),
    port: text('port').notNull(),
  },
  (t) => [
    primaryKey({ name: 'edges_pk', columns: [t.stepId, t.artifactId, t.direction, t.port] }),
    check('edges_direction_check', oneOf('direction', EDGE_DIRECTIONS)),
    // upstream / downstream walk from an artifact to the steps that produced or consumed it.
    index('edges_artifact_idx').on(t.artifactId, t.direction),
  ],
);

export const metrics = pgTable(
  'metrics',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id),
    stageId: text('stage_id').notNull(),
    name: text('name').notNull(),
    step: integer('step').notNull(),
    value: doublePrecision('value').notNull(),
  },
  (t) => [primaryKey({ name: 'metrics_pk', columns: [t.runId, t.stageId, t.name, t.step] })],
);

export const trainingOrder = pgTable(
  'training_order',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id),
    stageId: text('stage_id').notNull(),
    /** The checkpoint (optimizer step) whose training window consumed this range. */
    checkpointStep: integer('checkpoint_step').notNull(),
    /** Position of this range within the checkpoint's window, 0-based. */
    seq: integer('seq').notNull(),
    datasetArtifactId: text('dataset_artifact_id')
      .notNull()
      .references(() => artifacts.id),
    docId: text('doc_id').notNull(),
    tokenStart: integer('token_start').notNull(),
    tokenEnd: integer('token_end').notNull(),
  },
  (t) => [
    primaryKey({ name: 'training_order_pk', columns: [t.runId, t.stageId, t.checkpointStep, t.seq] }),
    // "Which checkpoints saw this document?"
    index('training_order_doc_idx').on(t.datasetArtifactId, t.docId),
  ],
);

/**
 * Single flight by cache key: the run computing an uncached stage claims its cache key (the control activity
 * prepareStep, INSERT … ON CONFLICT DO NOTHING), so other runs that need the same stage at once wait for its outputs
 * instead of computing them too. completeStep deletes the claim (completed: the cache answers from then on; failed: a
 * waiter takes over); a claim whose owner workflow has closed is taken over by one waiter (a conditional UPDATE).
 */
export const stageClaims = pgTable('stage_claims', {
  cacheKey: text('cache_key').primaryKey(),
  ownerRunId: text('owner_run_id').notNull(),
  /** The owner run's workflow: while it is open, the claim holds. */
  workflowId: text('workflow_id').notNull(),
  stageId: text('stage_id').notNull(),
  claimedAt: timestamp('claimed_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * A stage attempt's log lines (activities/stage-log.ts writes them in batches, at most a cap per attempt; the last
 * line says when lines were dropped). `seq` numbers one attempt's lines from 0, so a repeated batch changes nothing
 * (ON CONFLICT DO NOTHING) and a reader's cursor is the last `seq` it saw of each attempt.
 */
export const stageLogs = pgTable(
  'stage_logs',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id),
    stageId: text('stage_id').notNull(),
    attempt: integer('attempt').notNull(),
    seq: integer('seq').notNull(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    level: text('level').notNull(),
    message: text('message').notNull(),
  },
  (t) => [
    primaryKey({ name: 'stage_logs_pk', columns: [t.runId, t.stageId, t.attempt, t.seq] }),
    index('stage_logs_run_at_idx').on(t.runId, t.at),
  ],
);

export const schedules = pgTable('schedules', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique('schedules_name_uq'),
  /** Cron expression, e.g. `0 2 * * *`. */
  cron: text('cron').notNull(),
  timezone: text('timezone').notNull().default('UTC'),
  recipeName: text('recipe_name').notNull(),
  /** The recipe document as submitted (YAML parsed to JSON). */
  recipe: jsonb('recipe').$type<unknown>().notNull(),
  options: jsonb('options').$type<unknown>().notNull().default({}),
  temporalScheduleId: text('temporal_schedule_id').notNull(),
  paused: boolean('paused').notNull().default(false),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const apiTokens = pgTable('api_tokens', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** sha256 of the bearer token; the token itself is never stored. */
  tokenHash: text('token_hash').notNull().unique('api_tokens_token_hash_uq'),
  createdAt: createdAt(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
});

export type RunRow = typeof runs.$inferSelect;
export type StepRow = typeof steps.$inferSelect;
export type ArtifactRow = typeof artifacts.$inferSelect;
export type EdgeRow = typeof edges.$inferSelect;
export type MetricRow = typeof metrics.$inferSelect;
export type TrainingOrderRow = typeof trainingOrder.$inferSelect;
export type ScheduleRow = typeof schedules.$inferSelect;
export type StageClaimRow = typeof stageClaims.$inferSelect;
export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type StageLogRow = typeof stageLogs.$inferSelect;
