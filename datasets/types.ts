/** What an artifact holds: JSONL shards + manifest, a model directory, or a JSON report. */
export type ArtifactKind = 'dataset' | 'model' | 'report';

/** The artifact kinds, for validation at the edges. */
export const ARTIFACT_KINDS = ['dataset', 'model', 'report'] as const satisfies readonly ArtifactKind[];

/**
 * A reference to an immutable, content-addressed artifact. This (never the content) is what crosses
 * Temporal, so it stays small.
 */
export interface ArtifactRef {
  /** sha256 hex of the artifact's content (see {@link ArtifactStore.commit}). */
  id: string;
  kind: ArtifactKind;
  /** `file:///abs/path` of the artifact's directory. */
  uri: string;
  /** Total size of the artifact's files. */
  bytes: number;
  /** Descriptive metadata; not part of the id. */
  meta: Record<string, unknown>;
}

/** One document of a dataset. */
export interface Doc {
  /** Unique within its dataset, stable across runs (lineage tracks documents by id). */
  id: string;
  text: string;
  domain?: string;
  license?: string;
  meta?: Record<string, unknown>;
}
