/**
 * The contract between the interpreter workflow and the activities. Types
 * only: workflows import this file with `import type`.
 */
import type { ArtifactRef } from '../datasets/types.ts';
import type { PlanInput, PlanNode, Plan, RunOptions } from '../recipe/plan.ts';
import type { RunnableKind } from '../recipe/stages/index.ts';
import type { CellOutcome } from '../recipe/sweep-report.ts';
import type { SweepPlan } from '../recipe/plan.ts';
import type { RunStatus } from '../service/status.ts';

export type { ArtifactRef };

/** One resolved input of a stage: which plan input it satisfies, and the artifact. */
export interface StageInput extends PlanInput {
  artifact: ArtifactRef;
}

export interface StageRequest {
  runId: string;
  workflowId: string;
  node: PlanNode;
  inputs: StageInput[];
  cacheKey: string;
  /**
   * The run recomputes every stage (`--no-cache`): training keeps its checkpoints in a scope of its own run
   * instead of the cache key's, so it neither resumes from nor overwrites other runs' checkpoints.
   */
  noCache?: boolean;
}

export interface StageOutput {
  port: string;
  artifact: ArtifactRef;
}

export interface StageResult {
  outputs: StageOutput[];
  /** Scalar summary metrics (full curves are written to lineage by the stage itself). */
  metrics: Record<string, number>;
  /** The Temporal attempt that produced this result (1 = first try). */
  attempt?: number;
  /** Set on a cache hit: the step that computed these outputs (its metrics and curves are theirs). */
  producedBy?: { runId: string; stageId: string };
}


/** Live training progress, as heartbeated by long stages. */
export interface TrainingProgress {
  step: number;
  totalSteps: number;
  loss: number | null;
  checkpoint: string | null;
}

export type StageActivity = (req: StageRequest) => Promise<StageResult>;

/**
 * Stage activities, one per kind the registry marks runnable (recipe/stages/index.ts), each registered
 * under its kind's name: a runnable kind without an activity in createActivities() does not compile.
 */
export type StageActivities = { [K in RunnableKind]: StageActivity };

export interface StartRunInput {
  runId: string;
  workflowId: string;
  plan: Plan;
  options: RunOptions;
  resumedFrom: string | null;
}

export interface PrepareStepInput {
  runId: string;
  node: PlanNode;
  inputs: StageInput[];
  attempt: number;
  noCache: boolean;
  /**
   * Single flight (never with `noCache`): when not cached, claim the cache key for this run (its workflow `workflowId`),
   * or say who holds it. Absent in runs recorded before it: no claim.
   */
  claim?: { workflowId: string };
}

export interface PrepareStepResult {
  cacheKey: string;
  /** A finished stage with the same cache key: its outputs are reused, nothing is recomputed. */
  cached: StageResult | null;
  /**
   * With `claim`, when not cached: the run and stage computing it now (wait, and ask again), or null when this run
   * holds the claim (compute it; completeStep with `releaseClaim` releases it).
   */
  claimedBy?: StageOwner | null;
}

/** The nodes of a run to look up in the cache at its start (a cached rerun's whole plan in one call). */
export interface PrepareCachedInput {
  runId: string;
  nodes: PlanNode[];
}

/** A node of {@link PrepareCachedInput} found in the cache, recorded as a cached step (attempt 1) of the run. */
export interface PreparedCached {
  nodeId: string;
  inputs: StageInput[];
  cacheKey: string;
  cached: StageResult;
}

export interface CompleteStepInput {
  runId: string;
  node: PlanNode;
  attempt: number;
  inputs: StageInput[];
  status: 'completed' | 'failed';
  result: StageResult | null;
  error: string | null;
  durationMs: number;
  /** The cache key whose claim this step holds (single flight): released once the step is recorded. */
  releaseClaim?: string;
}

/** The run and stage that hold a cache key's claim (single flight): they are computing it. */
export interface StageOwner {
  runId: string;
  stageId: string;
}

/** Control-plane activities on `braise-control`: lineage and cache look-ups. */
export interface ControlActivities {
  startRun(input: StartRunInput): Promise<void>;
  prepareStep(input: PrepareStepInput): Promise<PrepareStepResult>;
  /**
   * Each node, in order, whose inputs all come from nodes found before it (a source has none): looked up and, when
   * found, recorded exactly as prepareStep records a hit. The others are left alone (prepareStep handles them).
   */
  prepareCached(input: PrepareCachedInput): Promise<PreparedCached[]>;
  completeStep(input: CompleteStepInput): Promise<void>;
  setRunStatus(input: { runId: string; status: RunStatus; error?: string | null }): Promise<void>;
}

export interface RecordSweepReportInput {
  /** The ablation run (the parent). */
  runId: string;
  recipe: string;
  schedule: string | null;
  sweep: Pick<SweepPlan, 'paths' | 'compare' | 'regressionThreshold'>;
  cells: CellOutcome[];
}

/** What an ablation run asks of the control worker besides its run record: its report. */
export interface SweepActivities {
  /**
   * Builds the sweep's report (recipe/sweep-report.ts) against the previous report of the same schedule, commits it
   * as a `report` artifact and records it in lineage as the output (port `report`) of the run's `report` step.
   */
  recordSweepReport(input: RecordSweepReportInput): Promise<{ artifactId: string; metrics: Record<number, number | null> }>;
}
