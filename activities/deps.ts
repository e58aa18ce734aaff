/** What activities need from the process that runs them; the worker wires it (no module-level singletons). */
import type { Logger } from 'pino';
import type { ArtifactStore } from '../datasets/artifact-store.ts';
import type { LineageStore } from '../infra/db/lineage.ts';
import type { BraiseConfig } from '../infra/config.ts';
import type { TrainingProgress } from './types.ts';

export interface ActivityDeps {
  store: ArtifactStore;
  lineage: LineageStore;
  config: BraiseConfig;
  logger: Logger;
  /** Reports a long stage's checkpoint progress to its workflow (the `stageProgress` signal). */
  reportProgress(workflowId: string, stageId: string, progress: TrainingProgress): Promise<void>;
}
