/**
 * What the dashboard reads from `/v1`, parsed at the edge (the API's schemas, api/schemas.ts, are the
 * contract; these take only the fields the pages use and let the rest through).
 */
// zod/mini: the same schemas as functions, a third of the bundle (classic zod brings every locale).
import * as z from 'zod/mini';

export const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'paused'] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;

export const RunSummary = z.object({
  runId: z.string(),
  recipe: z.string(),
  status: RunStatus,
  createdAt: z.string(),
  finishedAt: z.nullable(z.string()),
  temporalUiUrl: z.nullable(z.string()),
  error: z.nullable(z.string()),
  schedule: z.nullable(z.string()),
});
export type RunSummary = z.infer<typeof RunSummary>;
export const RunList = z.object({ runs: z.array(RunSummary), nextCursor: z.nullable(z.string()) });

const Origin = z.object({ runId: z.string(), stageId: z.string() });

export const Stage = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  attempts: z.number(),
  durationMs: z.nullable(z.number()),
  outputs: z.array(z.object({ port: z.string(), artifactId: z.string(), kind: z.string() })),
  metrics: z.record(z.string(), z.number()),
  error: z.optional(z.nullable(z.string())),
  progress: z.optional(z.nullable(z.object({ step: z.number(), totalSteps: z.number(), loss: z.nullable(z.number()) }))),
  cachedFrom: z.optional(z.nullable(Origin)),
  waitingOn: z.optional(z.nullable(Origin)),
  inputs: z.optional(z.array(z.string())),
});
export type Stage = z.infer<typeof Stage>;

export const Cell = z.object({
  index: z.number(),
  values: z.record(z.string(), z.unknown()),
  runId: z.string(),
  status: z.string(),
  error: z.nullable(z.string()),
  metric: z.nullable(z.number()),
});

export const RunView = z.object({
  runId: z.string(),
  status: RunStatus,
  temporalUiUrl: z.string(),
  error: z.optional(z.nullable(z.string())),
  noCache: z.optional(z.boolean()),
  stages: z.array(Stage),
  cells: z.optional(z.array(Cell)),
  report: z.optional(z.nullable(z.string())),
  parent: z.optional(z.object({ runId: z.string(), cell: z.optional(z.number()), stageId: z.optional(z.string()) })),
});
export type RunView = z.infer<typeof RunView>;

export const Series = z.object({ stage: z.string(), name: z.string(), producedBy: Origin, points: z.array(z.tuple([z.number(), z.number()])) });
export type Series = z.infer<typeof Series>;
export const Metrics = z.object({ series: z.array(Series) });

const Values = z.record(z.string(), z.unknown());
export const Report = z.object({
  runId: z.string(),
  artifactId: z.string(),
  report: z.object({
    recipe: z.string(),
    schedule: z.nullable(z.string()),
    paths: z.array(z.string()),
    compare: z.nullable(z.object({ metric: z.string(), goal: z.enum(['minimize', 'maximize']) })),
    regressionThreshold: z.number(),
    cells: z.array(
      z.object({ index: z.number(), values: Values, runId: z.string(), status: z.string(), error: z.nullable(z.string()), metric: z.nullable(z.number()), vsBaseline: z.nullable(z.number()), beatsBaseline: z.nullable(z.boolean()) }),
    ),
    best: z.nullable(z.object({ index: z.number(), runId: z.string(), metric: z.number() })),
    baseline: z.nullable(z.object({ index: z.number() })),
    previous: z.nullable(z.object({ runId: z.string(), artifactId: z.string() })),
    regressions: z.nullable(z.array(z.object({ index: z.number(), values: Values, metric: z.nullable(z.number()), previous: z.number(), change: z.nullable(z.number()) }))),
  }),
});
export type Report = z.infer<typeof Report>;

export const Artifact = z.object({ id: z.string(), kind: z.string(), uri: z.string(), bytes: z.number(), meta: z.record(z.string(), z.unknown()), createdAt: z.string() });
export type Artifact = z.infer<typeof Artifact>;
export const LineageEntry = z.object({ artifact: Artifact, producedBy: z.nullable(z.object({ runId: z.string(), stageId: z.string(), kind: z.string() })), depth: z.number() });
export type LineageEntry = z.infer<typeof LineageEntry>;
export const Lineage = z.object({ artifact: Artifact, upstream: z.optional(z.array(LineageEntry)), downstream: z.optional(z.array(LineageEntry)) });

export const DocumentTraining = z.object({
  training: z.array(z.object({ runId: z.string(), stageId: z.string(), datasetArtifactId: z.string(), fromStep: z.number(), checkpointStep: z.number(), tokenRanges: z.array(z.tuple([z.number(), z.number()])), modelArtifactId: z.nullable(z.string()) })),
});
export type DocumentTraining = z.infer<typeof DocumentTraining>;

export const ApiErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))) }) });
