/**
 * The dpo stage's reference log-probs, computed once per (reference model, rows, template, context) and kept as an
 * artifact of their own (a `report` whose report.json is ml/posttrain/preference.ts's ReferenceLogprobs). Its id is
 * content-addressed, so it cannot be known before computing: a small index under the checkpoints root maps the
 * key to the artifact (`dpo-reference/<key>.json`), written once the artifact is committed. A retry, a resumed run
 * or a rerun with other DPO settings finds it there and never runs the reference pass again; an index entry whose
 * artifact is gone (a cleaned store) is ignored (the pass runs again).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactRef } from '../../datasets/types.ts';
import { CHAT_TEMPLATE } from '../../ml/posttrain/sft-loss.ts';
import type { ActivityDeps } from '../deps.ts';

/** Bump when the reference file's content for the same key changes. */
const REFERENCE_VERSION = 1;

/** What the reference log-probs depend on: the model scoring them, the rows (their datasets, in order), the template and the context that cuts them. */
export interface ReferenceKeyParts {
  referenceModel: string;
  datasets: readonly string[];
  context: number;
}

/** The cache key of a reference: sha256 of its parts. */
export function referenceKey(p: ReferenceKeyParts): string {
  const parts = { version: REFERENCE_VERSION, referenceModel: p.referenceModel, datasets: p.datasets, template: CHAT_TEMPLATE, context: p.context };
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

const indexFile = (deps: ActivityDeps, key: string): string => join(deps.config.checkpointsRoot, 'dpo-reference', `${key}.json`);

/** The committed reference of `key`, or null when none is (still) in the store. */
export async function findReference(deps: ActivityDeps, key: string): Promise<ArtifactRef | null> {
  let id: unknown;
  try {
    id = (JSON.parse(await readFile(indexFile(deps, key), 'utf8')) as { artifactId?: unknown }).artifactId;
  } catch {
    return null;
  }
  if (typeof id !== 'string' || !(await deps.store.has(id))) return null;
  const ref = await deps.store.get(id);
  return ref.kind === 'report' ? ref : null;
}

/** Records that `artifact` holds the reference of `key` (atomically: a rename). */
export async function rememberReference(deps: ActivityDeps, key: string, artifact: ArtifactRef): Promise<void> {
  const file = indexFile(deps, key);
  await mkdir(join(deps.config.checkpointsRoot, 'dpo-reference'), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ artifactId: artifact.id })}\n`);
  await rename(tmp, file);
}
