/**
 * What activities need from the process that runs them; the worker wires it (no module-level
 * singletons). Declared here, in the activities' own terms, so activities/ imports nothing of infra/
 * (the layering lint in eslint.layers.js enforces it): infra/runtime.ts passes its config, a URL
 * builder, and lineage as the service layer's port (service/lineage.ts), through which every lineage
 * write goes (infra/db/recorder.ts implements it).
 */
import type { Logger } from 'pino';
import type { ArtifactStore } from '../datasets/artifact-store.ts';
import type { DataRoots } from '../datasets/data-roots.ts';
import type { IngestLimits } from '../datasets/limits.ts';
import type { ActivityLineage } from '../service/lineage.ts';
import type { RunView } from '../service/view.ts';
import type { TrainingProgress } from './types.ts';

/** The settings activities read (infra's BraiseConfig has them). */
export interface ActivityConfig {
  /** Where a training stage keeps its checkpoints, one directory per cache key. */
  checkpointsRoot: string;
  /** This worker's own `BRAISE_DATA_ROOTS`, for runs whose starter recorded none (null: unrestricted). */
  dataRoots: DataRoots;
  /** What one ingested `file:` source may cost (`BRAISE_INGEST_MAX_*`). */
  ingestLimits: IngestLimits;
}

/**
 * Child runs: plain `recipeRun` workflows a stage starts and waits for (mixsearch's proxies, mergeablation's
 * models), each a run of its own in lineage and the Temporal UI. infra/runtime.ts implements it over the run
 * service, so a child is validated, recorded and started as any run is.
 */
export interface ChildRuns {
  /**
   * Starts a run of `recipe` (a parsed recipe object) once per `key`: the same key always names the same run,
   * so a retried or resumed stage finds its children instead of starting them again (`created: false`).
   * `parent` is recorded in the run's options; `noCache` runs every stage of it again. A recipe the compiler
   * refuses throws its InvalidInputError.
   */
  start(recipe: unknown, key: string, opts: { parent: { runId: string; stageId: string }; noCache: boolean }): Promise<{ runId: string; workflowId: string; created: boolean }>;
  /** The run's final view once its execution closes; `signal` ends the wait early. */
  wait(runId: string, signal?: AbortSignal): Promise<RunView>;
  /** Cancels a run that is still going (a run that ended already is left as it is). */
  cancel(runId: string): Promise<void>;
}

/**
 * Checkpoints kept beyond this machine (datasets/s3-checkpoints.ts), so another worker can resume a stage.
 * Every path is a directory under the config's checkpointsRoot. Absent: the root itself is shared (or local).
 */
export interface CheckpointSync {
  /** Copies a just-saved checkpoint directory out, atomically (its files, then a marker). */
  push(dir: string): Promise<void>;
  /** Brings a scope's latest complete checkpoint here unless it is here; its directory name, or null if none. */
  pull(scopeDir: string): Promise<string | null>;
  /** Brings one checkpoint directory here unless it is here; false when there is none. */
  pullStep(dir: string): Promise<boolean>;
}

export interface ActivityDeps {
  store: ArtifactStore;
  /** Checkpoints on shared storage beyond the checkpoints root (BRAISE_ARTIFACTS=s3://…). */
  checkpoints?: CheckpointSync;
  /** The lineage recorder (every write) and the run and cache look-ups activities need. */
  lineage: ActivityLineage;
  config: ActivityConfig;
  logger: Logger;
  /** The Temporal UI page of a workflow, recorded on its run. */
  workflowUiUrl(workflowId: string): string;
  /** Reports a long stage's checkpoint progress to its workflow (the `stageProgress` signal). */
  reportProgress(workflowId: string, stageId: string, progress: TrainingProgress): Promise<void>;
  /** Whether workflow `workflowId` (its latest execution) is running; null if there is none. */
  describeWorkflow(workflowId: string): Promise<{ running: boolean } | null>;
  /** Child runs, for the stages that run experiments of their own; absent where no Temporal client is wired (they refuse to run). */
  runs?: ChildRuns;
}
