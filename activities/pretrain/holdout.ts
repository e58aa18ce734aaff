/** Deterministic train/held-out split: a document's side depends only on its id and the seed. */
import { createHash } from 'node:crypto';
import type { Doc } from '../../datasets/types.ts';

export function isHeldOut(docId: string, seed: number, fraction: number): boolean {
  if (fraction <= 0) return false;
  const h = createHash('sha256').update(`${seed}\0${docId}`).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000 < fraction;
}

/**
 * Splits documents into train and held-out sets. Each domain keeps at least one
 * held-out document (when it has two or more), so evaluation can report every domain.
 */
export function splitHoldout(docs: Doc[], seed: number, fraction: number): { train: Doc[]; heldout: Doc[] } {
  const train: Doc[] = [];
  const heldout: Doc[] = [];
  for (const d of docs) (isHeldOut(d.id, seed, fraction) ? heldout : train).push(d);
  if (fraction > 0) {
    const domains = new Set(heldout.map((d) => d.domain ?? 'unknown'));
    for (const domain of new Set(train.map((d) => d.domain ?? 'unknown'))) {
      if (domains.has(domain)) continue;
      const candidates = train.filter((d) => (d.domain ?? 'unknown') === domain);
      if (candidates.length < 2) continue;
      const pick = candidates[candidates.length - 1]!;
      train.splice(train.indexOf(pick), 1);
      heldout.push(pick);
    }
  }
  return { train, heldout };
}
