/**
 * The RunService contract: what the HTTP API serves and the CLI calls. `api/` and `cli/` depend only on
 * this interface; `infra/service.ts` implements it over Temporal, lineage and the artifact store, and
 * `service/http.ts` over the HTTP API (unit tests of the routes may fake it). Its errors are the
 * service's own, mapped to HTTP statuses by the API and back by the HTTP client.
 */
import type { ArtifactKind } from '../datasets/types.ts';
import type { RecipeIssue } from '../recipe/errors.ts';
import type { Plan } from '../recipe/plan.ts';
import type { SweepReport } from '../recipe/sweep-report.ts';
import type { RunStatus } from './status.ts';
import type { RunView } from './view.ts';

export type { RunStatus, StageStatus } from './status.ts';
export type { CellView, RunView, StageView } from './view.ts';
export type { SweepReport } from '../recipe/sweep-report.ts';

/** `braise report` / `GET /v1/runs/:id/report`: an ablation run's report and the artifact that holds it. */
export interface RunReport {
  runId: string;
  artifactId: string;
  report: SweepReport;
}

export interface StartRunRequest {
  /** A recipe: YAML text (string) or an already-parsed JSON value. */
  recipe: string | unknown;
  noCache?: boolean;
  onFailure?: 'pause' | 'fail';
  /** From the Idempotency-Key header: a retried request returns the same run. */
  idempotencyKey?: string;
  /** A child run's parent (an ablation stage's proxies), recorded in its options; set in-process only, never over HTTP. */
  parent?: { runId: string; stageId: string };
}

export interface StartedRunResponse {
  runId: string;
  workflowId: string;
  temporalUiUrl: string;
  /** false when an Idempotency-Key matched an existing run. */
  created: boolean;
  /** What the compiler noticed but did not refuse (e.g. an unused dataset), with paths and lines. */
  warnings?: RecipeIssue[];
}

export interface RunSummary {
  runId: string;
  workflowId: string;
  recipe: string;
  status: RunStatus;
  createdAt: string;
  finishedAt: string | null;
  temporalUiUrl: string | null;
  error: string | null;
  /** The schedule that started the run; null for a run started by hand. */
  schedule: string | null;
}

export interface ResumeResult {
  /** The run that continues: the same id when resumed in place, a new one for a new execution. */
  runId: string;
  workflowId: string;
  resumedFrom: string;
  mode: 'in-place' | 'new-execution';
  temporalUiUrl: string;
}

export interface ArtifactInfo {
  id: string;
  kind: ArtifactKind;
  uri: string;
  bytes: number;
  meta: Record<string, unknown>;
  createdAt: string;
}

export interface LineageEntry {
  artifact: ArtifactInfo;
  producedBy: { runId: string; stageId: string; kind: string } | null;
  depth: number;
}

/** One checkpoint window of a training stage that read part of a document (the lineage store answers with these, served as is). */
export interface DocumentTrainingWindow {
  runId: string;
  stageId: string;
  /** The dataset the trainer read the document from (the one asked about, or one derived from it). */
  datasetArtifactId: string;
  /** The window: optimizer steps fromStep+1 … checkpointStep (the previous checkpoint of the stage, or 0). */
  fromStep: number;
  checkpointStep: number;
  /** Token offsets [start, end) within the document (its EOS included) that the window's sequences read. */
  tokenRanges: Array<[number, number]>;
  /** The model the stage produced, once its step completed; null while it trains or if it failed. */
  modelArtifactId: string | null;
}

/** `braise provenance` / `GET /v1/artifacts/:id/documents/:docId/training`. */
export interface DocumentTraining {
  artifactId: string;
  docId: string;
  /** Every checkpoint window that read the document, by run, stage and step; empty if none trained on it. */
  training: DocumentTrainingWindow[];
}

/** One line of a stage attempt's log (`braise logs`, `GET /v1/runs/:id/logs`). */
export interface StageLogEntry {
  stage: string;
  /** The Temporal attempt of the stage that wrote it (1 = first try). */
  attempt: number;
  /** The line's number within its attempt. */
  seq: number;
  /** ISO 8601. */
  time: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** A page of a run's stage logs, oldest first. */
export interface RunLogs {
  runId: string;
  lines: StageLogEntry[];
  /** Pass as `after` to get only the lines written since (always set: a follower keeps asking with it). */
  nextCursor: string;
}

/** What `logs` reads: one stage's lines, those after a cursor, at most `limit` (1–5000, default 1000). */
export interface RunLogsQuery {
  stage?: string;
  after?: string;
  limit?: number;
}

/** `braise schedule create` / `PUT /v1/schedules/:name`: a recipe run on a cron expression or at an interval. */
export interface ScheduleRequest {
  /** A recipe: YAML text or a parsed JSON value, validated (compiled) as a run start validates it. */
  recipe: string | unknown;
  /** The schedule's name; default the recipe's name. Creating a name that exists updates that schedule. */
  name?: string;
  /** A cron expression (`0 2 * * *`: 2 a.m. every day) in `timezone`. Exactly one of `cron` and `every`. */
  cron?: string;
  /** An interval instead of a cron expression: `1m`, `6h`, `1d` (at least 1 minute). */
  every?: string;
  /** An IANA time zone name for `cron` (`Europe/Paris`); default UTC. */
  timezone?: string;
  /** How late a missed run may still start after an outage (`1h`, `30m`; 10 s to 365 d); default 1 hour. */
  catchupWindow?: string;
  noCache?: boolean;
  onFailure?: 'pause' | 'fail';
}

/** A run a schedule started (from Temporal's record of its recent actions). */
export interface ScheduledRunRef {
  runId: string;
  /** The time it was scheduled for (a trigger: when it was triggered). */
  scheduledAt: string;
  startedAt: string;
}

export interface ScheduleView {
  name: string;
  /** The Temporal Schedule's id (`braise-<name>`), shown in the Temporal UI's Schedules page. */
  scheduleId: string;
  recipe: string;
  recipeHash: string;
  cron: string | null;
  every: string | null;
  timezone: string;
  /** Always `skip`: a run is not started while the schedule's previous run is still running or paused. */
  overlap: 'skip';
  catchupWindow: string;
  paused: boolean;
  /** The note of the last pause or unpause. */
  note: string | null;
  /** The next few times it will start a run (ISO 8601). */
  nextRuns: string[];
  /** Its most recent runs, oldest first. */
  recentRuns: ScheduledRunRef[];
  /** Ids of its runs still open. */
  runningRuns: string[];
  createdAt: string;
  updatedAt: string | null;
  temporalUiUrl: string;
  warnings?: RecipeIssue[];
}

/** Invalid input: the API answers 422 with every issue. */
export class InvalidInputError extends Error {
  constructor(readonly issues: RecipeIssue[], message = 'invalid recipe') {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** The named thing does not exist: 404. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The request conflicts with the current state (e.g. an Idempotency-Key reused with another recipe): 409. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

export interface RunService {
  /** Parses, validates and compiles; throws InvalidInputError listing every issue. */
  validate(recipe: string | unknown): Promise<Plan>;
  startRun(req: StartRunRequest): Promise<StartedRunResponse>;
  listRuns(q: { recipe?: string; status?: RunStatus; schedule?: string; limit?: number; cursor?: string }): Promise<{ runs: RunSummary[]; nextCursor: string | null }>;
  /** Live while the run works (the workflow's progress query + heartbeats); from lineage once no worker answers. */
  getRun(runId: string): Promise<RunView>;
  /** Curves by stage; a cached stage's are those of the run that computed it (`producedBy`). */
  metrics(runId: string, q: { stage?: string; name?: string }): Promise<{ series: Array<{ stage: string; name: string; producedBy: { runId: string; stageId: string }; points: Array<[number, number]> }> }>;
  /**
   * A page of the run's stage logs (each stage attempt's own lines, kept with the run), oldest first, after the
   * cursor `after` (a `nextCursor` handed out). NotFoundError for an unknown run; InvalidInputError for a bad cursor.
   */
  logs(runId: string, q: RunLogsQuery): Promise<RunLogs>;
  cancel(runId: string): Promise<{ runId: string; status: RunStatus }>;
  /**
   * Resolves with the run's final view the moment its execution closes (completed, failed, cancelled), without
   * polling. Optional: a service that cannot wait (the HTTP client) leaves followers to poll `getRun`. `signal`
   * ends the wait early (rejecting), with nothing left in flight once it settles.
   */
  awaitRun?(runId: string, signal?: AbortSignal): Promise<RunView>;
  /**
   * Resumes a run. Paused: retries its failed stage in the same execution. Ended (failed, cancelled): starts a new
   * execution of the same plan that reuses every cached stage and the latest checkpoint (`resumedFrom` links them).
   * `with` changes stage settings first (`{ "stages.base.lr": 1e-3 }`), validated like a recipe.
   */
  resume(runId: string, req: { with?: Record<string, unknown> }): Promise<ResumeResult>;
  /**
   * An ablation run's report (a recipe with a `sweep:` block). NotFoundError for an unknown run, one that is not a
   * sweep, or one that ended without a report (cancelled before its cells ended); ConflictError while it still runs.
   */
  report(runId: string): Promise<RunReport>;
  getArtifact(id: string): Promise<ArtifactInfo>;
  lineage(id: string, direction: 'up' | 'down'): Promise<{ artifact: ArtifactInfo; upstream?: LineageEntry[]; downstream?: LineageEntry[] }>;
  /**
   * Which runs, stages and checkpoint windows trained on document `docId` of dataset `artifactId` (directly or
   * through datasets derived from it), with token ranges. NotFoundError for an unknown artifact, a non-dataset or
   * a document id the dataset does not hold.
   */
  documentTraining(artifactId: string, docId: string): Promise<DocumentTraining>;
  /**
   * Creates the schedule of `req.name` (default the recipe's name), or updates it if it exists (its pause state is
   * kept). The recipe, the cron expression (or interval), the time zone and the catch-up window are checked first:
   * an InvalidInputError names each bad one, and nothing is created or changed.
   */
  putSchedule(req: ScheduleRequest): Promise<{ schedule: ScheduleView; created: boolean }>;
  listSchedules(): Promise<{ schedules: ScheduleView[] }>;
  getSchedule(name: string): Promise<ScheduleView>;
  pauseSchedule(name: string, note?: string): Promise<ScheduleView>;
  unpauseSchedule(name: string, note?: string): Promise<ScheduleView>;
  /**
   * Starts a run now, unless the schedule's previous run is still open (overlap skip). `runId`: the run it started,
   * once Temporal shows it (within a few seconds); null if it skipped or has not shown it yet.
   */
  triggerSchedule(name: string): Promise<{ schedule: ScheduleView; runId: string | null }>;
  /** Deletes the schedule; runs it started are not touched. */
  deleteSchedule(name: string): Promise<{ name: string; deleted: true }>;
  /**
   * Which dependencies are reachable; readyz answers 503 naming the ones that are not. `artifacts`: the artifact
   * store's bucket, where it is remote (BRAISE_ARTIFACTS=s3://…); absent for a filesystem store.
   */
  readiness(): Promise<{ temporal: boolean; database: boolean; artifacts?: boolean }>;
}

/** What the API's bearer auth needs (infra/auth/tokens.ts implements it over the api_tokens table). */
export interface TokenVerifier {
  /** true if the bearer token is valid (and records its use). */
  verify(token: string): Promise<boolean>;
}
