/**
 * What activities need from the process that runs them; the worker wires it (no module-level
 * singletons). Declared here, in the activities' own terms, so activities/ imports nothing of infra/
 * at run time (the layering lint in eslint.config.js enforces it): infra/runtime.ts passes its config
 * and a URL builder. The lineage store is still infra's class, imported as a type only.
 * TODO(issue 9 item 5): lineage written in one place replaces it with a port declared by the service layer.
 */
import type { Logger } from 'pino';
import type { ArtifactStore } from '../datasets/artifact-store.ts';
import type { DataRoots } from '../datasets/data-roots.ts';
import type { IngestLimits } from '../datasets/limits.ts';
import type { LineageStore } from '../infra/db/lineage.ts';
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
  lineage: LineageStore;
  config: ActivityConfig;
  logger: Logger;
  /** The Temporal UI page of a workflow, recorded on its run. */
  workflowUiUrl(workflowId: string): string;
  /** Reports a long stage's checkpoint progress to its workflow (the `stageProgress` signal). */
  reportProgress(workflowId: string, stageId: string, progress: TrainingProgress): Promise<void>;
}
