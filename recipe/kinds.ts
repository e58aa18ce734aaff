/**
 * What each stage kind consumes and produces, which queue it runs on, and the
 * version of its implementation (part of every cache key: bump it when the
 * stage's output for the same inputs changes).
 */
import type { StageKind } from './schema.ts';

export type ArtifactKind = 'dataset' | 'model' | 'report';

export interface KindSpec {
  /** Output ports; the first is the default when an input names only the stage. */
  ports: Record<string, ArtifactKind>;
  /** What the stage accepts as inputs. */
  accepts: ArtifactKind[];
  /** At least one input of this kind is required. */
  requires?: ArtifactKind;
  queue: 'braise-cpu' | 'braise-gpu';
  /** Long stages heartbeat; their default timeouts are longer. */
  long: boolean;
  /** null: declared in the format, not implemented in this version of Braise. */
  implVersion: string | null;
  /** Trains the Braise GPT with a `batchSize` in its `with` block: its memory is estimated at compile time. */
  trains?: true;
}

export const KINDS: Record<StageKind | 'ingest', KindSpec> = {
  ingest: { ports: { data: 'dataset' }, accepts: [], queue: 'braise-cpu', long: false, implVersion: '1' },
  filter: { ports: { kept: 'dataset', rejected: 'dataset' }, accepts: ['dataset'], requires: 'dataset', queue: 'braise-cpu', long: false, implVersion: '1' },
  rewrite: { ports: { rewritten: 'dataset' }, accepts: ['dataset', 'model'], requires: 'dataset', queue: 'braise-cpu', long: true, implVersion: '1' },
  mix: { ports: { mixed: 'dataset' }, accepts: ['dataset'], requires: 'dataset', queue: 'braise-cpu', long: false, implVersion: '1' },
  pretrain: { trains: true, ports: { model: 'model', heldout: 'dataset' }, accepts: ['dataset'], requires: 'dataset', queue: 'braise-gpu', long: true, implVersion: '1' },
  upsample: { trains: true, ports: { model: 'model' }, accepts: ['model', 'dataset'], requires: 'model', queue: 'braise-gpu', long: true, implVersion: null },
  sft: { trains: true, ports: { model: 'model' }, accepts: ['model', 'dataset'], requires: 'model', queue: 'braise-gpu', long: true, implVersion: null },
  dpo: { trains: true, ports: { model: 'model' }, accepts: ['model', 'dataset'], requires: 'model', queue: 'braise-gpu', long: true, implVersion: null },
  rlvr: { trains: true, ports: { model: 'model' }, accepts: ['model', 'dataset'], requires: 'model', queue: 'braise-gpu', long: true, implVersion: null },
  merge: { ports: { model: 'model' }, accepts: ['model'], requires: 'model', queue: 'braise-cpu', long: false, implVersion: null },
  evaluate: { ports: { report: 'report' }, accepts: ['model', 'dataset'], requires: 'model', queue: 'braise-cpu', long: true, implVersion: '1' },
};

/** Kinds this version of Braise can run. */
export const IMPLEMENTED_KINDS = (Object.keys(KINDS) as Array<keyof typeof KINDS>).filter(
  (k) => k !== 'ingest' && KINDS[k].implVersion !== null,
);
