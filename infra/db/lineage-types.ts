/** Arguments and results of LineageStore's methods. */
import type { ArtifactKind, ArtifactRow, RunStatus, StepRow } from './schema.ts';

export interface UpsertRunInput {
  id: string;
  workflowId: string;
  recipeName: string;
  recipeHash: string;
  plan: unknown;
  options: unknown;
  status: RunStatus;
  resumedFrom?: string | null;
  temporalUiUrl?: string | null;
}

export interface BeginStepInput {
  runId: string;
  stageId: string;
  kind: string;
  /** 1-based; a new attempt of the same stage gets a new number and a new row. */
  attempt: number;
  cacheKey: string;
  queue: string;
}

/** An artifact on a named port of a step (`kept`, `rejected`, `model`, …). */
export interface PortArtifact {
  port: string;
  artifactId: string;
}

export interface FinishStepInput {
  runId: string;
  stageId: string;
  attempt: number;
  status: 'completed' | 'cached' | 'failed' | 'skipped';
  inputs: PortArtifact[];
  outputs: PortArtifact[];
  metrics?: Record<string, number>;
  /** Measured by the caller; when absent, the time since beginStep. */
  durationMs?: number;
  error?: string | null;
  /** For a `cached` step: the id of the `completed` step whose outputs it reuses. */
  cachedFrom?: string;
}

export interface RecordArtifactInput {
  id: string;
  kind: ArtifactKind;
  uri: string;
  bytes: number;
  meta: Record<string, unknown>;
}

export interface ListRunsQuery {
  recipe?: string;
  status?: RunStatus;
  /** Page size, 1..500; default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** Which run and stage computed something. */
export interface StepOrigin {
  runId: string;
  stageId: string;
}

/**
 * A step with the artifacts it consumed (`inputs`) and produced (`outputs`); a `cached` step also names the step that
 * computed its outputs (`cachedFrom`, null otherwise).
 */
export type StepWithEdges = StepRow & { inputs: PortArtifact[]; outputs: PortArtifact[]; cachedFrom: StepOrigin | null };

export interface CachedOutputs {
  stepId: string;
  runId: string;
  stageId: string;
  outputs: Array<{ port: string; artifact: ArtifactRow }>;
  metrics: Record<string, number>;
}
