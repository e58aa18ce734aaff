/**
 * What each kind consumes and produces, its queue and implementation version: now each kind's spec in
 * stages/ (the registry). Kept as re-exports so imports of these names keep working.
 */
import { NODE_SPECS, RUNNABLE_KINDS, type ArtifactKind, type NodeKind } from './stages/index.ts';

export type { ArtifactKind };
export type { AnyStageSpec as KindSpec } from './stages/index.ts';

export const KINDS = NODE_SPECS;

/** Kinds this version of Braise can run (ingest aside). */
export const IMPLEMENTED_KINDS = RUNNABLE_KINDS.filter((k): k is Exclude<typeof k, 'ingest'> => k !== 'ingest');

export type { NodeKind };
