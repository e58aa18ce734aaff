/**
 * The run view: what `braise run --json`, `braise status --json` and `GET /v1/runs/:id` print. Types
 * only; the Temporal + lineage service builds it from the workflow's live state or, for runs no worker
 * is serving, from lineage (infra/run-view.ts), and the HTTP client receives it as JSON.
 */
import type { RunStatus, StageStatus } from './status.ts';

export interface StageView {
  id: string;
  kind: string;
  status: StageStatus;
  attempts: number;
  durationMs: number | null;
  outputs: Array<{ port: string; artifactId: string; kind: string }>;
  metrics: Record<string, number>;
  error?: string | null;
  progress?: { step: number; totalSteps: number; loss: number | null } | null;
  /** A cached stage: the run and stage that computed its outputs. */
  cachedFrom?: { runId: string; stageId: string } | null;
  /** A running stage waiting for another run's execution of the same cache key: that run and stage. */
  waitingOn?: { runId: string; stageId: string } | null;
}

export interface RunView {
  runId: string;
  workflowId: string;
  status: RunStatus;
  temporalUiUrl: string;
  error?: string | null;
  /** Started with --no-cache: every stage recomputed, training from scratch. */
  noCache?: boolean;
  stages: StageView[];
}
