/**
 * The dpo stage's reference log-probs index (activities/dpo/reference-cache.ts) over a real artifact store: a
 * committed reference is found again by its key (what lets a retry, a resume or a rerun skip the reference pass),
 * the key changes with the reference model, the rows and the context, and an entry whose artifact is gone is no hit.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../../activities/deps.ts';
import { findReference, referenceKey, rememberReference } from '../../../activities/dpo/reference-cache.ts';
import { ArtifactStore } from '../../../datasets/artifact-store.ts';

let root: string;
let deps: ActivityDeps;
const model = 'a'.repeat(64);
const rows = 'b'.repeat(64);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'braise-dpo-ref-'));
  deps = { store: new ArtifactStore(path.join(root, 'artifacts')), config: { checkpointsRoot: path.join(root, 'checkpoints') } } as ActivityDeps;
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function commitReference(content: string) {
  const dir = await deps.store.stage();
  await writeFile(path.join(dir, 'report.json'), content);
  return deps.store.commit(dir, 'report', { kind: 'dpo-reference' });
}

describe('dpo reference cache', () => {
  it('finds a remembered reference by its key, and nothing for a key never computed', async () => {
    const key = referenceKey({ referenceModel: model, datasets: [rows], context: 64 });
    expect(await findReference(deps, key)).toBeNull();
    const artifact = await commitReference('{"pairs": 1}\n');
    await rememberReference(deps, key, artifact);
    expect((await findReference(deps, key))?.id).toBe(artifact.id);
  });

  it('keys on the reference model, the rows and the context', () => {
    const key = referenceKey({ referenceModel: model, datasets: [rows], context: 64 });
    expect(referenceKey({ referenceModel: model, datasets: [rows], context: 64 })).toBe(key);
    expect(referenceKey({ referenceModel: 'c'.repeat(64), datasets: [rows], context: 64 })).not.toBe(key);
    expect(referenceKey({ referenceModel: model, datasets: [rows, rows], context: 64 })).not.toBe(key);
    expect(referenceKey({ referenceModel: model, datasets: [rows], context: 32 })).not.toBe(key);
  });

  it('is no hit when the artifact it names has left the store', async () => {
    const key = referenceKey({ referenceModel: model, datasets: [rows], context: 16 });
    const artifact = await commitReference('{"pairs": 2}\n');
    await rememberReference(deps, key, artifact);
    await rm(`${deps.store.dir(artifact.id)}.json`);
    expect(await findReference(deps, key)).toBeNull();
  });
});
