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
}

export interface PrepareStepResult {
  cacheKey: string;
  /** A finished stage with the same cache key: its outputs are reused, nothing is recomputed. */
  cached: StageResult | null;
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
}

/**
 * One stage execution as a workflow of its own (workflows/stage-run.ts), whose id is derived from the cache key, so
 * runs that need the same stage at once run it once: the first starts it, the others wait for it to end.
 */
export interface StageRunInput {
  /** The activity's request; `runId`/`workflowId` are the run that started the execution (its lineage step, its progress). */
  request: StageRequest;
  /** The starting run's round of the stage: its lineage step's attempt. */
  attempt: number;
  /** The stage activity's id (`<stage>#<round>`). */
  activityId: string;
}

/** What a stage execution returns: the outputs it computed (recorded in lineage before it ends), or a cache hit. */
export type StageRunResult = { computed: StageResult; cached?: undefined } | { cached: StageResult; computed?: undefined };

/** The run and stage that started a stage execution that is still running. */
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
  /** Who started the stage execution `workflowId`, while it runs; null once it has ended (or never existed). */
  stageOwner(input: { workflowId: string }): Promise<StageOwner | null>;
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
