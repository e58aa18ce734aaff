/**
 * What the dashboard reads from `/v1`, parsed at the edge (the API's schemas, api/schemas.ts, are the
 * contract; these take only the fields the pages use and let the rest through).
 */
import { z } from 'zod';

export const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'paused'] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;

export const RunSummary = z.object({
  runId: z.string(),
  recipe: z.string(),
  status: RunStatus,
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  temporalUiUrl: z.string().nullable(),
  error: z.string().nullable(),
  schedule: z.string().nullable(),
});
export type RunSummary = z.infer<typeof RunSummary>;
export const RunList = z.object({ runs: z.array(RunSummary), nextCursor: z.string().nullable() });

const Origin = z.object({ runId: z.string(), stageId: z.string() });

export const Stage = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  attempts: z.number(),
  durationMs: z.number().nullable(),
  outputs: z.array(z.object({ port: z.string(), artifactId: z.string(), kind: z.string() })),
  metrics: z.record(z.string(), z.number()),
  error: z.string().nullable().optional(),
  progress: z.object({ step: z.number(), totalSteps: z.number(), loss: z.number().nullable() }).nullable().optional(),
  cachedFrom: Origin.nullable().optional(),
  waitingOn: Origin.nullable().optional(),
  inputs: z.array(z.string()).optional(),
});
export type Stage = z.infer<typeof Stage>;

export const Cell = z.object({
  index: z.number(),
  values: z.record(z.string(), z.unknown()),
  runId: z.string(),
  status: z.string(),
  error: z.string().nullable(),
  metric: z.number().nullable(),
});

export const RunView = z.object({
  runId: z.string(),
  status: RunStatus,
  temporalUiUrl: z.string(),
  error: z.string().nullable().optional(),
  noCache: z.boolean().optional(),
  stages: z.array(Stage),
  cells: z.array(Cell).optional(),
  report: z.string().nullable().optional(),
  parent: z.object({ runId: z.string(), cell: z.number().optional(), stageId: z.string().optional() }).optional(),
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
    schedule: z.string().nullable(),
    paths: z.array(z.string()),
    compare: z.object({ metric: z.string(), goal: z.enum(['minimize', 'maximize']) }).nullable(),
    regressionThreshold: z.number(),
    cells: z.array(
      z.object({ index: z.number(), values: Values, runId: z.string(), status: z.string(), error: z.string().nullable(), metric: z.number().nullable(), vsBaseline: z.number().nullable(), beatsBaseline: z.boolean().nullable() }),
    ),
    best: z.object({ index: z.number(), runId: z.string(), metric: z.number() }).nullable(),
    baseline: z.object({ index: z.number() }).nullable(),
    previous: z.object({ runId: z.string(), artifactId: z.string() }).nullable(),
    regressions: z.array(z.object({ index: z.number(), values: Values, metric: z.number().nullable(), previous: z.number(), change: z.number().nullable() })).nullable(),
  }),
});
export type Report = z.infer<typeof Report>;

export const Artifact = z.object({ id: z.string(), kind: z.string(), uri: z.string(), bytes: z.number(), meta: z.record(z.string(), z.unknown()), createdAt: z.string() });
export type Artifact = z.infer<typeof Artifact>;
export const LineageEntry = z.object({ artifact: Artifact, producedBy: z.object({ runId: z.string(), stageId: z.string(), kind: z.string() }).nullable(), depth: z.number() });
export type LineageEntry = z.infer<typeof LineageEntry>;
export const Lineage = z.object({ artifact: Artifact, upstream: z.array(LineageEntry).optional(), downstream: z.array(LineageEntry).optional() });

export const DocumentTraining = z.object({
  training: z.array(z.object({ runId: z.string(), stageId: z.string(), datasetArtifactId: z.string(), fromStep: z.number(), checkpointStep: z.number(), tokenRanges: z.array(z.tuple([z.number(), z.number()])), modelArtifactId: z.string().nullable() })),
});
export type DocumentTraining = z.infer<typeof DocumentTraining>;

export const ApiErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.array(z.object({ path: z.string(), message: z.string() })).optional() }) });
