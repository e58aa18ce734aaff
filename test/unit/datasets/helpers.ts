import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { ArtifactStore } from '../../../datasets/artifact-store.ts';

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A temporary directory removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'braise-datasets-'));
  dirs.push(dir);
  return dir;
}

/** A store in a fresh temporary directory. */
export async function tempStore(): Promise<ArtifactStore> {
  return new ArtifactStore(path.join(await tempDir(), 'artifacts'));
}
