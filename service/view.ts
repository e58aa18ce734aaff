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
  /** The plan's nodes this stage reads (datasets and stages): the run's DAG, as the dashboard draws it. */
  inputs?: string[];
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
  /** An ablation run (a recipe with a `sweep:` block): its cells, each a child run (absent on other runs). */
  cells?: CellView[];
  /** A sweep's cell: the ablation run it belongs to, and its index there (absent on other runs). */
  /** The run that started this one: a sweep (`cell`: this run's cell) or an ablation stage (`stageId`). */
  parent?: { runId: string; cell?: number; stageId?: string };
  /** An ablation run: its report artifact once recorded (`braise report`, `GET /v1/runs/:id/report`), else null. */
  report?: string | null;
}

/** A sweep's cell: the values it sets, its child run and how it went. */
export interface CellView {
  index: number;
  values: Record<string, unknown>;
  runId: string;
  status: RunStatus | 'pending';
  error: string | null;
  /** `sweep.compare.metric` of the cell, once it ended (null without compare, or before). */
  metric: number | null;
}
