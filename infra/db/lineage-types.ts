/** Arguments and results of LineageStore's methods. */
import type { CachedOutputs as PortCachedOutputs, PortArtifact } from '../../service/lineage.ts';
import type { ArtifactRow, RunStatus, StepRow } from './schema.ts';

// The write side's arguments are the lineage port's (service/lineage.ts), defined once there.
export type { BeginStepInput, FinishStepInput, PortArtifact, RecordArtifactInput, StageClaim, UpsertRunInput } from '../../service/lineage.ts';

export interface ListRunsQuery {
  recipe?: string;
  status?: RunStatus;
  /** Only runs the schedule of this name started. */
  schedule?: string;
  /** Page size, 1..500; default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** Which run and stage computed something. */
export interface StepOrigin {
  runId: string;
  stageId: string;
}

/**
 * A step with the artifacts it consumed (`inputs`) and produced (`outputs`); a `cached` step also names the step that
 * computed its outputs (`cachedFrom`, null otherwise).
 */
export type StepWithEdges = StepRow & { inputs: PortArtifact[]; outputs: PortArtifact[]; cachedFrom: StepOrigin | null };

/** The port's cached outputs, with the store's full artifact rows. */
export interface CachedOutputs extends PortCachedOutputs {
  outputs: Array<{ port: string; artifact: ArtifactRow }>;
}
