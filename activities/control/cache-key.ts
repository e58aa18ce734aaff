/**
 * Cache keys: sha256(node fingerprint — kind, normalized `with`, implementation
 * version — and the ids of the input artifacts). For `file:` datasets the
 * file's bytes stand in for inputs, so editing the file invalidates the cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { PlanNode } from '../../recipe/plan.ts';
import type { StageInput } from '../types.ts';

export async function cacheKeyFor(node: PlanNode, inputs: StageInput[]): Promise<string> {
  const h = createHash('sha256');
  h.update(`braise-cache-v1\0${node.fingerprint}\0`);
  const parts = inputs.map((i) => `${i.node}.${i.port}=${i.artifact.id}`).sort();
  h.update(parts.join('\0'));
  if (node.kind === 'ingest') {
    const source = String(node.with.source ?? '');
    if (source.startsWith('file:')) h.update(`\0file:${await fileDigest(source.slice('file:'.length))}`);
  }
  return h.digest('hex');
}

function fileDigest(path: string): Promise<string> {
  return new Promise((resolve) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      // The ingest activity itself reports a missing file, with its path.
      .on('error', () => resolve('missing'))
      .on('end', () => resolve(h.digest('hex')));
  });
}
