/**
 * The run state the interpreter keeps and the `progress` query returns.
 * Pure data and pure functions: imported by the workflow and by clients.
 */
import type { StageOutput, TrainingProgress } from '../activities/types.ts';
import type { RunStatus, StageStatus } from '../service/status.ts';

export interface StageState {
  id: string;
  kind: string;
  queue: string;
  status: StageStatus;
  /** Temporal attempts spent on this stage, across pause/resume rounds. */
  attempts: number;
  startedAt: number | null;
  durationMs: number | null;
  cacheKey: string | null;
  outputs: Array<{ port: string; artifactId: string; kind: string }>;
  metrics: Record<string, number>;
  error: string | null;
  /** The latest progress a long stage reported (at each checkpoint). */
  progress: TrainingProgress | null;
  /** A cached stage: the run and stage that computed its outputs (absent in states recorded before it existed). */
  cachedFrom?: { runId: string; stageId: string } | null;
  /** A running stage that waits for another run's execution of the same cache key: that run and stage. */
  waitingOn?: { runId: string; stageId: string } | null;
}

export interface RunState {
  runId: string;
  workflowId: string;
  recipe: string;
  status: RunStatus;
  error: string | null;
  resumedFrom: string | null;
  /** Started with --no-cache: every stage recomputed, training from scratch (absent in older states). */
  noCache?: boolean;
  stages: StageState[];
  /** An ablation run (a sweep): its cells, each a child run (absent on other runs). */
  cells?: CellState[];
  /** An ablation run: its report artifact, once recorded. */
  report?: string | null;
}

/** A sweep's cell as its ablation run sees it. */
export interface CellState {
  /** 1-based. */
  index: number;
  values: Record<string, unknown>;
  /** The child run's id (`<parent run>-c<index>`) and workflow id. */
  runId: string;
  workflowId: string;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
  error: string | null;
  /** The compared metric (`sweep.compare.metric`) once the cell ended, or null. */
  metric: number | null;
}

export function outputsOf(outputs: StageOutput[]): StageState['outputs'] {
  return outputs.map((o) => ({ port: o.port, artifactId: o.artifact.id, kind: o.artifact.kind }));
}
