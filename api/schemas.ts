/**
 * The API's zod schemas: what requests must look like (validated at the edge)
 * and what responses look like (documented in `/v1/openapi.json`; the types
 * of the service's results are checked against them at compile time).
 */
import { z } from '@hono/zod-openapi';
import { ARTIFACT_KINDS } from '../datasets/types.ts';
import { decodeRunCursor } from '../infra/db/run-cursor.ts';
import { decodeLogCursor } from '../infra/db/stage-logs.ts';
import { LOG_PAGE } from '../infra/run-logs.ts';
import { NODE_SPECS, type NodeKind } from '../recipe/stages/index.ts';
import { RUN_STATUSES, STAGE_STATUSES } from '../service/status.ts';

// ---- shared ---------------------------------------------------------------

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_recipe' }),
      message: z.string().openapi({ example: 'invalid recipe (1 error)' }),
      details: z.array(
        z.object({
          path: z.string().openapi({ example: 'stages[2].with.beta' }),
          message: z.string().openapi({ example: 'line 14: expected a number > 0' }),
        }),
      ),
    }),
  })
  .openapi('Error');

// The statuses (service/status.ts) and artifact kinds (datasets/types.ts) are defined once; these enums are those lists.
export const RunStatusSchema = z.enum(RUN_STATUSES).openapi('RunStatus');
export const StageStatusSchema = z.enum(STAGE_STATUSES).openapi('StageStatus');

/** Every node kind a plan can hold: `ingest` (a dataset) and each stage kind of the recipe language (the stage registry). */
export const STAGE_KINDS = Object.keys(NODE_SPECS) as [NodeKind, ...NodeKind[]];
export const StageKindSchema = z.enum(STAGE_KINDS).openapi('StageKind');

export const ArtifactKindSchema = z.enum(ARTIFACT_KINDS).openapi('ArtifactKind');

/**
 * Text a client sends: Postgres cannot store U+0000 (in text or jsonb), so a NUL anywhere is a 422 naming the
 * field, not a 500 from the database.
 */
const NUL_MESSAGE = 'must not contain a NUL character (U+0000)';
export const text = () => z.string().refine((s) => !s.includes('\0'), { message: NUL_MESSAGE });

/** Adds an issue for every string (key or value) holding a NUL inside an arbitrary JSON value, at its path. */
export function rejectNul(value: unknown, ctx: z.RefinementCtx, path: Array<string | number> = []): void {
  if (typeof value === 'string') {
    if (value.includes('\0')) ctx.addIssue({ code: 'custom', path, message: NUL_MESSAGE });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => rejectNul(v, ctx, [...path, i]));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\0')) ctx.addIssue({ code: 'custom', path: [...path, k], message: `key ${NUL_MESSAGE}` });
      rejectNul(v, ctx, [...path, k]);
    }
  }
}

const id = (name: string, description: string) =>
  text().min(1).max(256).openapi({ param: { name, in: 'path' }, description });

export const RunIdParams = z.object({ id: id('id', 'The run id.') });
export const ArtifactIdParams = z.object({ id: id('id', 'The artifact id (sha256).') });

// ---- recipes --------------------------------------------------------------

export const RecipeSchema = z.record(z.string(), z.unknown()).openapi('Recipe', {
  description:
    'A recipe (apiVersion braise/v1) as a JSON object; the same document may be sent as YAML text with Content-Type application/yaml. Validated in full by the server; every problem is reported with its path.',
  example: {
    apiVersion: 'braise/v1',
    name: 'tiny',
    seed: 1,
    model: { arch: 'gpt', layers: 2, dModel: 64, heads: 4, context: 64, tokenizer: 'byte' },
    datasets: { web: { source: 'builtin:brown', genres: ['a'] } },
    stages: [{ id: 'base', kind: 'pretrain', inputs: ['web'], with: { steps: 10 } }],
  },
});

/** YAML request bodies are plain text; the server parses them. */
export const RecipeYamlSchema = z.string().openapi({ description: 'A recipe as YAML text.' });

/** A JSON string is the recipe's YAML text (what a client holding only the file's text sends as JSON). */
const RecipeTextSchema = z.string().openapi({ description: 'The recipe as YAML text, JSON-encoded.' });

/** The JSON body of `POST /v1/recipes/validate`: a recipe object, or its YAML text as a JSON string. */
export const RecipeJsonSchema = z.union([RecipeSchema, RecipeTextSchema]);

/** A compiler warning: like an error detail, with the line when the recipe was YAML text. */
export const RecipeWarningSchema = z
  .object({
    path: z.string().openapi({ example: 'datasets.spare' }),
    message: z.string().openapi({ example: 'dataset "spare" is not used by any stage: it will not be ingested' }),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
  })
  .openapi('RecipeWarning');

const PlanInputSchema = z.object({ node: z.string(), port: z.string(), kind: z.string() });
const PlanNodeSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    queue: z.string(),
    inputs: z.array(PlanInputSchema),
    with: z.record(z.string(), z.unknown()),
    context: z.object({ model: z.record(z.string(), z.unknown()), seed: z.number() }),
    ports: z.record(z.string(), z.string()),
    fingerprint: z.string(),
    implVersion: z.string(),
    timeouts: z.object({ startToCloseMs: z.number(), heartbeatMs: z.number().nullable() }),
    retry: z.object({ maximumAttempts: z.number() }),
    onFailure: z.enum(['pause', 'fail']),
  })
  .openapi('PlanNode');

const planFields = {
  apiVersion: z.literal('braise/v1'),
  name: z.string(),
  recipeHash: z.string(),
  nodes: z.array(PlanNodeSchema).openapi({ description: 'In topological order; datasets (`ingest`) first. Empty for a sweep: each cell has its own.' }),
  recipe: z.unknown().openapi({ description: 'The normalized recipe.' }),
  warnings: z.array(RecipeWarningSchema).optional(),
};

const CellPlanSchema = z.object(planFields).openapi('CellPlan', { description: 'A sweep cell compiled as a recipe of its own (the sweep block removed, the cell\'s values set).' });

const SweepCompareSchema = z
  .object({ metric: z.string(), goal: z.enum(['minimize', 'maximize']), baseline: z.number().int().optional().openapi({ description: 'The index of the baseline cell (`compare.baseline`).' }) })
  .openapi('SweepCompare');

const SweepPlanSchema = z
  .object({
    paths: z.array(z.string()).openapi({ description: 'The paths the cells set.' }),
    cells: z.array(z.object({ index: z.number().int(), values: z.record(z.string(), z.unknown()), plan: CellPlanSchema })),
    parallelism: z.number().int(),
    compare: SweepCompareSchema.nullable(),
    regressionThreshold: z.number(),
  })
  .openapi('SweepPlan', { description: 'A recipe with a `sweep:` block: every cell, each compiled (a bad cell is a 422 naming it).' });

export const PlanSchema = z.object({ ...planFields, sweep: SweepPlanSchema.optional() }).openapi('Plan');

export const ValidateResultSchema = z
  .object({ plan: PlanSchema, warnings: z.array(RecipeWarningSchema).openapi({ description: 'What the compiler noticed but did not refuse, e.g. a dataset no stage uses (it is not ingested).' }) })
  .openapi('ValidateResult');

// ---- runs -----------------------------------------------------------------

export const StartRunRequestSchema = z
  .strictObject({
    recipe: z.union([RecipeSchema, RecipeTextSchema]),
    noCache: z.boolean().optional().openapi({ description: 'Recompute every stage even when a cached result exists.' }),
    onFailure: z.enum(['pause', 'fail']).optional().openapi({ description: 'What a stage that fails after its retries does to the run (default pause).' }),
  })
  .openapi('StartRunRequest');

/**
 * The JSON body of `POST /v1/runs`: a recipe (it has `apiVersion`), a
 * {@link StartRunRequestSchema} (it has `recipe`) or YAML text. The route only
 * checks it is an object or a string; the handler tells the forms apart and
 * validates the second.
 */
export const StartRunJsonSchema = z.union([RecipeSchema, StartRunRequestSchema, RecipeTextSchema]).openapi({
  description:
    'A recipe (an object with `apiVersion`), `{ recipe, noCache?, onFailure? }` (an object with `recipe`), or the recipe\'s YAML text as a JSON string. When both keys are present the body is taken as a recipe.',
});

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: 'A retried request with the same key returns the run the first one started (200 instead of 201).' }),
});

export const StartedRunSchema = z
  .object({
    runId: z.string(),
    workflowId: z.string(),
    temporalUiUrl: z.string().openapi({ description: "The run's history in the Temporal UI." }),
    warnings: z.array(RecipeWarningSchema).optional().openapi({ description: 'Present when the compiler noticed something it did not refuse, e.g. a dataset no stage uses.' }),
  })
  .openapi('StartedRun');

/** A cursor `GET /v1/runs` handed out (an unreadable one is a 422 naming `query.cursor`, not a database error). */
function isRunCursor(cursor: string): boolean {
  try {
    const c = decodeRunCursor(cursor);
    const year = c.createdAt.getUTCFullYear();
    return year >= 1970 && year <= 9999 && !c.id.includes('\0') && c.id.length <= 256;
  } catch {
    return false;
  }
}

export const LIST_LIMIT = { min: 1, max: 500, default: 50 } as const;

export const ListRunsQuery = z.strictObject({
  recipe: text().min(1).max(256).optional().openapi({ description: 'Only runs of the recipe with this name.' }),
  status: RunStatusSchema.optional(),
  schedule: text().min(1).max(256).optional().openapi({ description: 'Only runs the schedule of this name started.' }),
  limit: z.coerce
    .number()
    .int()
    .min(LIST_LIMIT.min)
    .max(LIST_LIMIT.max)
    .default(LIST_LIMIT.default)
    .openapi({ description: 'Page size, 1 to 500.', type: 'integer', minimum: LIST_LIMIT.min, maximum: LIST_LIMIT.max, default: LIST_LIMIT.default }),
  cursor: text()
    .min(1)
    .max(1024)
    .refine(isRunCursor, { message: 'not a cursor from GET /v1/runs: pass `nextCursor` of the previous page unchanged, or leave it out for the first page' })
    .optional()
    .openapi({ description: '`nextCursor` of the previous page.' }),
});

export const RunSummarySchema = z
  .object({
    runId: z.string(),
    workflowId: z.string(),
    recipe: z.string(),
    status: RunStatusSchema,
    createdAt: z.string().openapi({ format: 'date-time' }),
    finishedAt: z.string().nullable(),
    temporalUiUrl: z.string().nullable(),
    error: z.string().nullable(),
    schedule: z.string().nullable().openapi({ description: 'The schedule that started the run; null for a run started by hand.' }),
  })
  .openapi('RunSummary');

export const RunListSchema = z
  .object({
    runs: z.array(RunSummarySchema).openapi({ description: 'Newest first.' }),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  })
  .openapi('RunList');

const StepOriginSchema = z.object({ runId: z.string(), stageId: z.string() }).openapi('StepOrigin');

const StageViewSchema = z
  .object({
    id: z.string(),
    kind: StageKindSchema,
    status: StageStatusSchema,
    attempts: z.number().int(),
    durationMs: z.number().nullable(),
    outputs: z.array(z.object({ port: z.string(), artifactId: z.string(), kind: ArtifactKindSchema })),
    metrics: z.record(z.string(), z.number()),
    error: z.string().nullable().optional(),
    progress: z.object({ step: z.number(), totalSteps: z.number(), loss: z.number().nullable() }).nullable().optional(),
    cachedFrom: StepOriginSchema.nullable()
      .optional()
      .openapi({ description: 'A `cached` stage: the run and stage that computed its outputs (its metrics and curves are theirs).' }),
    waitingOn: StepOriginSchema.nullable()
      .optional()
      .openapi({ description: 'A `running` stage waiting for another run that computes the same stage (same cache key): that run and stage.' }),
    inputs: z.array(z.string()).optional().openapi({ description: "The plan's nodes (datasets and stages) this stage reads: the run's DAG." }),
  })
  .openapi('StageView');

const CellViewSchema = z
  .object({
    index: z.number().int(),
    values: z.record(z.string(), z.unknown()),
    runId: z.string(),
    status: z.union([RunStatusSchema, z.literal('pending')]),
    error: z.string().nullable(),
    metric: z.number().nullable(),
  })
  .openapi('CellView');

export const RunViewSchema = z
  .object({
    runId: z.string(),
    workflowId: z.string(),
    status: RunStatusSchema,
    temporalUiUrl: z.string(),
    error: z.string().nullable().optional(),
    noCache: z.boolean().optional().openapi({ description: 'Started with `noCache`: every stage recomputed, training from scratch.' }),
    stages: z.array(StageViewSchema),
    cells: z.array(CellViewSchema).optional().openapi({ description: 'A sweep (an ablation run): its cells, each a child run.' }),
    report: z.string().nullable().optional().openapi({ description: 'A sweep: its report artifact once recorded (`GET /v1/runs/{id}/report`).' }),
    parent: z
      .object({ runId: z.string(), cell: z.number().int().optional(), stageId: z.string().optional() })
      .optional()
      .openapi({ description: "The run that started this one: a sweep's run and this cell's index (`cell`), or the run and stage of an ablation stage (`stageId`: mixsearch's proxies, mergeablation's models)." }),
  })
  .openapi('RunView', { description: 'The same document `braise run --json` prints.' });

const CellValuesSchema = z.record(z.string(), z.unknown()).openapi({ description: 'The values the cell sets, by sweep path.' });

const SweepReportCellSchema = z
  .object({
    index: z.number().int(),
    values: CellValuesSchema,
    runId: z.string(),
    status: z.enum(['completed', 'failed', 'cancelled']),
    error: z.string().nullable(),
    metric: z.number().nullable().openapi({ description: '`compare.metric` of the cell; null without compare, or when the cell did not record it.' }),
    headlines: z.record(z.string(), z.number()).openapi({ description: "Each stage's headline metrics, as `<stageId>/<metric>`." }),
    vsBaseline: z.number().nullable().openapi({ description: "The relative change of `metric` against the baseline cell's; null without `compare.baseline` (and for the baseline itself)." }),
    beatsBaseline: z.boolean().nullable().openapi({ description: 'Whether `metric` is better than the baseline cell\'s by `compare.goal`.' }),
  })
  .openapi('SweepReportCell');

export const RunReportSchema = z
  .object({
    runId: z.string(),
    artifactId: z.string().openapi({ description: 'The `report` artifact that holds it.' }),
    report: z
      .object({
        kind: z.literal('sweep-report'),
        version: z.literal(1),
        runId: z.string(),
        recipe: z.string(),
        schedule: z.string().nullable(),
        paths: z.array(z.string()),
        compare: SweepCompareSchema.nullable(),
        regressionThreshold: z.number(),
        cells: z.array(SweepReportCellSchema),
        best: z.object({ index: z.number().int(), runId: z.string(), values: CellValuesSchema, metric: z.number() }).nullable(),
        baseline: z
          .object({ index: z.number().int(), runId: z.string(), values: CellValuesSchema, metric: z.number().nullable() })
          .nullable()
          .openapi({ description: 'The cell the others are measured against (`compare.baseline`), or null.' }),
        previous: z.object({ runId: z.string(), artifactId: z.string() }).nullable().openapi({ description: 'A scheduled sweep: the previous report of the same schedule.' }),
        regressions: z
          .array(z.object({ index: z.number().int(), values: CellValuesSchema, metric: z.number().nullable(), previous: z.number(), change: z.number().nullable() }))
          .nullable()
          .openapi({ description: 'Cells worse than in `previous` by more than `regressionThreshold` (relative change); null when there is no previous report.' }),
      })
      .openapi('SweepReport'),
  })
  .openapi('RunReport');

export const MetricsQuery = z.strictObject({
  stage: text().min(1).max(256).optional().openapi({ description: 'Only this stage.' }),
  name: text().min(1).max(256).optional().openapi({ description: 'Only this metric (e.g. `loss`).' }),
});

export const MetricsSchema = z
  .object({
    series: z.array(
      z.object({
        stage: z.string(),
        name: z.string(),
        producedBy: StepOriginSchema.openapi({
          description: 'The run and stage that recorded the curve: this run, or for a stage taken from the cache the run that computed it.',
        }),
        points: z.array(z.tuple([z.number(), z.number()])).openapi({ description: '`[step, value]` pairs in step order.' }),
      }),
    ),
  })
  .openapi('Metrics');

export const CancelResultSchema = z.object({ runId: z.string(), status: RunStatusSchema }).openapi('CancelResult');

export const ResumeRequestSchema = z
  .object({
    with: z
      .record(z.string(), z.unknown())
      .superRefine((v, ctx) => rejectNul(v, ctx))
      .optional()
      .openapi({ description: 'Changed stage settings, e.g. `{ "stages.base.lr": 0.001 }`; validated like the recipe.', example: { 'stages.base.lr': 0.001 } }),
  })
  .strict()
  .openapi('ResumeRequest');

export const ResumeResultSchema = z
  .object({
    runId: z.string().openapi({ description: 'The run that continues: the same id in place, a new one for a new execution.' }),
    workflowId: z.string(),
    resumedFrom: z.string(),
    mode: z.enum(['in-place', 'new-execution']),
    temporalUiUrl: z.string(),
  })
  .openapi('ResumeResult');

// ---- schedules ------------------------------------------------------------

export const ScheduleNameParams = z.object({ name: id('name', 'The schedule name.') });

const scheduleFields = {
  recipe: z.union([RecipeSchema, RecipeTextSchema]),
  cron: text().max(256).optional().openapi({ description: 'A cron expression (minute hour day-of-month month day-of-week) in `timezone`, e.g. `0 2 * * *`; or @daily, @hourly, … Exactly one of `cron` and `every`.', example: '0 2 * * *' }),
  every: text().max(32).optional().openapi({ description: 'An interval instead of a cron expression: `1m`, `6h`, `1d` (at least 1 minute).', example: '1d' }),
  timezone: text().max(64).optional().openapi({ description: 'An IANA time zone for `cron` (default UTC).', example: 'Europe/Paris' }),
  catchupWindow: text().max(32).optional().openapi({ description: 'How late a run missed during an outage may still start (10s to 365d; default 1h).', example: '1h' }),
  noCache: z.boolean().optional().openapi({ description: 'Each run recomputes every stage.' }),
  onFailure: z.enum(['pause', 'fail']).optional().openapi({ description: 'What a stage that fails after its retries does to the run (default pause; a paused run holds the schedule: overlap skip).' }),
};

export const PutScheduleRequestSchema = z.strictObject(scheduleFields).openapi('PutScheduleRequest');
export const CreateScheduleRequestSchema = z
  .strictObject({ ...scheduleFields, name: text().max(63).optional().openapi({ description: "The schedule's name (default the recipe's name); an existing name is updated." }) })
  .openapi('CreateScheduleRequest');

export const ScheduleNoteSchema = z.strictObject({ note: text().max(1024).optional() }).openapi('ScheduleNote');

const ScheduledRunRefSchema = z.object({ runId: z.string(), scheduledAt: z.string().openapi({ format: 'date-time' }), startedAt: z.string().openapi({ format: 'date-time' }) }).openapi('ScheduledRunRef');

export const ScheduleSchema = z
  .object({
    name: z.string(),
    scheduleId: z.string().openapi({ description: "The Temporal Schedule's id (the Temporal UI's Schedules page)." }),
    recipe: z.string(),
    recipeHash: z.string(),
    cron: z.string().nullable(),
    every: z.string().nullable(),
    timezone: z.string(),
    overlap: z.enum(['skip']).openapi({ description: 'A run is not started while the previous one is still running or paused.' }),
    catchupWindow: z.string(),
    paused: z.boolean(),
    note: z.string().nullable(),
    nextRuns: z.array(z.string()).openapi({ description: 'The next times it starts a run (ISO 8601).' }),
    recentRuns: z.array(ScheduledRunRefSchema).openapi({ description: 'Its most recent runs, oldest first.' }),
    runningRuns: z.array(z.string()).openapi({ description: 'Its runs still open.' }),
    createdAt: z.string().openapi({ format: 'date-time' }),
    updatedAt: z.string().nullable(),
    temporalUiUrl: z.string(),
    warnings: z.array(RecipeWarningSchema).optional(),
  })
  .openapi('Schedule');

export const ScheduleListSchema = z.object({ schedules: z.array(ScheduleSchema) }).openapi('ScheduleList');
export const TriggerResultSchema = z
  .object({ schedule: ScheduleSchema, runId: z.string().nullable().openapi({ description: 'The run it started, once Temporal shows it; null if skipped (the previous run is still open) or not shown yet.' }) })
  .openapi('TriggerResult');
export const DeletedScheduleSchema = z.object({ name: z.string(), deleted: z.literal(true) }).openapi('DeletedSchedule');

// ---- artifacts ------------------------------------------------------------

export const ArtifactSchema = z
  .object({
    id: z.string().openapi({ description: 'sha256 of the content.' }),
    kind: ArtifactKindSchema,
    uri: z.string(),
    bytes: z.number().int(),
    meta: z.record(z.string(), z.unknown()),
    createdAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Artifact');

const LineageEntrySchema = z
  .object({
    artifact: ArtifactSchema,
    producedBy: z.object({ runId: z.string(), stageId: z.string(), kind: StageKindSchema }).nullable(),
    depth: z.number().int(),
  })
  .openapi('LineageEntry');

export const LineageQuery = z.strictObject({
  direction: z.enum(['up', 'down']).default('up').openapi({ description: '`up`: everything the artifact was made from; `down`: everything made from it.' }),
});

export const LineageSchema = z
  .object({
    artifact: ArtifactSchema,
    upstream: z.array(LineageEntrySchema).optional(),
    downstream: z.array(LineageEntrySchema).optional(),
  })
  .openapi('Lineage');

// ---- health ---------------------------------------------------------------

export const HealthSchema = z.object({ status: z.literal('ok') }).openapi('Health');
export const ReadySchema = z
  .object({ status: z.literal('ready'), temporal: z.boolean(), database: z.boolean(), artifacts: z.boolean().optional().openapi({ description: 'the S3 artifact bucket is reachable (only with BRAISE_ARTIFACTS=s3://…)' }) })
  .openapi('Ready');

// ---- stage logs -----------------------------------------------------------

export const LogsQuery = z.strictObject({
  stage: text().min(1).max(256).optional().openapi({ description: "Only this stage's lines." }),
  after: text()
    .min(1)
    .max(65536)
    .refine((c) => decodeLogCursor(c) !== null, { message: "not a cursor from this run's logs: pass `nextCursor` of the previous page unchanged, or leave it out for the first page" })
    .optional()
    .openapi({ description: '`nextCursor` of a previous page: only the lines written since.' }),
  limit: z.coerce
    .number()
    .int()
    .min(LOG_PAGE.min)
    .max(LOG_PAGE.max)
    .default(LOG_PAGE.default)
    .openapi({ description: 'Most lines in the page, 1 to 5000.', type: 'integer', minimum: LOG_PAGE.min, maximum: LOG_PAGE.max, default: LOG_PAGE.default }),
});

export const RunLogsSchema = z
  .object({
    runId: z.string(),
    lines: z
      .array(
        z.object({
          stage: z.string(),
          attempt: z.number().int().openapi({ description: 'The Temporal attempt of the stage that wrote the line (1 = first try).' }),
          seq: z.number().int().openapi({ description: "The line's number within its attempt." }),
          time: z.string().openapi({ format: 'date-time' }),
          level: z.enum(['debug', 'info', 'warn', 'error']),
          message: z.string(),
        }),
      )
      .openapi({ description: 'Oldest first. An attempt keeps at most 2,000 lines / 256 KiB; its last line says how many were dropped.' }),
    nextCursor: z.string().openapi({ description: 'Pass as `after` for the lines written since (also when this page is empty).' }),
  })
  .openapi('RunLogs');
