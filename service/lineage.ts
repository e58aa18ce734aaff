/**
 * The lineage port: every write to lineage goes through a LineageRecorder (infra/db/recorder.ts implements
 * it over the lineage store), whoever writes — the run service creating runs and setting their status, the
 * control activities recording steps, a training stage recording its curves and training order. Activities
 * receive it through their deps (with the two reads they need), so activities/ knows lineage only by this
 * interface. Every method is idempotent: Temporal retries activities at any point, and a repeated call
 * leaves the same rows, never more.
 */
import type { ArtifactKind } from '../datasets/types.ts';
import type { RunStatus, StepStatus } from './status.ts';

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
  status: Exclude<StepStatus, 'running'>;
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

/** One document range a checkpoint's training window read (a `training_order` row). */
export interface TrainingOrderRow {
  runId: string;
  stageId: string;
  /** The checkpoint (optimizer step) whose training window consumed this range. */
  checkpointStep: number;
  /** Position of this range within the checkpoint's window, 0-based. */
  seq: number;
  datasetArtifactId: string;
  docId: string;
  tokenStart: number;
  tokenEnd: number;
}

/** One log line of a stage attempt (a `stage_logs` row). */
export interface StageLogLine {
  runId: string;
  stageId: string;
  attempt: number;
  /** The line's number within its attempt, from 0: the same seq written twice is one line. */
  seq: number;
  at: Date;
  level: string;
  message: string;
}

/** A claim of a cache key by the run computing it (single flight): who holds it. */
export interface StageClaim {
  runId: string;
  /** The owner run's workflow: the claim holds while it is open. */
  workflowId: string;
  stageId: string;
}

/** Every lineage write; nothing else writes lineage. */
export interface LineageRecorder {
  /** Creates the run, or updates everything but when it was created if it exists. */
  upsertRun(run: UpsertRunInput): Promise<void>;
  /** Sets a run's status (and error, cleared when absent); stamps when it ended. Throws if there is no such run. */
  setRunStatus(runId: string, status: RunStatus, error?: string | null): Promise<void>;
  /** Records that a stage attempt started; returns its step id. */
  beginStep(step: BeginStepInput): Promise<string>;
  /** Records an artifact (immutable: a second call with the same id keeps the first row). */
  recordArtifact(artifact: RecordArtifactInput): Promise<void>;
  /** Ends a begun step: its status, metrics and edges; every artifact it names must be recorded. */
  finishStep(step: FinishStepInput): Promise<void>;
  /** Upserts curve points `[step, value]`. */
  recordMetrics(runId: string, stageId: string, name: string, points: Array<[number, number]>): Promise<void>;
  /** Appends stage log lines (idempotent by run, stage, attempt and seq). */
  appendStageLogs(lines: readonly StageLogLine[]): Promise<void>;
  /** Replaces a training stage's training order as a whole. */
  replaceTrainingOrder(runId: string, stageId: string, rows: readonly TrainingOrderRow[]): Promise<void>;
  /** Claims `cacheKey` for `claim` unless someone holds it; returns the holder (`claim` itself when it won, or held it). */
  claimStage(cacheKey: string, claim: StageClaim): Promise<StageClaim>;
  /** Moves `cacheKey`'s claim from `from` to `to` if `from` still holds it; true when it moved (one caller wins). */
  takeOverStageClaim(cacheKey: string, from: StageClaim, to: StageClaim): Promise<boolean>;
  /** Deletes `cacheKey`'s claim if run `runId`'s stage `stageId` holds it. */
  releaseStageClaim(cacheKey: string, runId: string, stageId: string): Promise<void>;
}

/** An artifact as lineage recorded it. */
export interface RecordedArtifact extends RecordArtifactInput {
  createdAt: Date;
}

/** The outputs of a finished step that a new step with the same cache key may reuse. */
export interface CachedOutputs {
  stepId: string;
  runId: string;
  stageId: string;
  outputs: Array<{ port: string; artifact: RecordedArtifact }>;
  metrics: Record<string, number>;
}

/** What activities read back from lineage: a run's recorded options, and the cache. */
export interface LineageLookups {
  getRun(runId: string): Promise<{ options: unknown } | null>;
  /** The outputs of the latest `completed` step with this cache key, or null. */
  findCachedOutputs(cacheKey: string): Promise<CachedOutputs | null>;
  /** The seq after the last stage log line of this run, stage and attempt (0 when none): where a new writer begins. */
  nextStageLogSeq(runId: string, stageId: string, attempt: number): Promise<number>;
  /** The newest sweep report (artifact meta `{ kind: 'sweep-report', schedule }`) of a run of `schedule` created before run `runId`, or null. */
  previousSweepReport(schedule: string, runId: string): Promise<{ artifactId: string; runId: string } | null>;
}

/** Lineage as activities see it (their deps' `lineage`). */
export type ActivityLineage = LineageRecorder & LineageLookups;
