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

export interface ActivityDeps {
  store: ArtifactStore;
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
}
