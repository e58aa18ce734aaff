/**
 * `units: N` of a merge ablation: its input documents split deterministically into N units of about equal
 * tokens, each document's domain becoming `unit-<i>` (its own kept as `meta.sourceDomain`). Documents are
 * ordered by the sha256 of their id, so the split depends on nothing but the documents, and cut where the
 * running token count crosses each k/N of the total (a document goes where its middle falls). PURE.
 */
import { createHash } from 'node:crypto';
import type { Doc } from '../../datasets/types.ts';
import { docTokens } from '../mix/mix.ts';

/** The name of unit i of a split. */
export function unitName(i: number): string {
  return `unit-${i}`;
}

/** The documents relabelled into `n` units (see the module comment); throws when there are fewer documents than units. */
export function splitIntoUnits(docs: readonly Doc[], n: number): Doc[] {
  if (docs.length < n) throw new Error(`${docs.length} documents cannot make ${n} units`);
  const keyed = docs.map((d) => ({ d, key: createHash('sha256').update(d.id).digest('hex') })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const total = keyed.reduce((s, x) => s + docTokens(x.d), 0);
  let before = 0;
  return keyed.map(({ d }, j) => {
    const tokens = docTokens(d);
    // By the document's middle; with no tokens at all, by position.
    const at = total > 0 ? (before + tokens / 2) / total : (j + 0.5) / keyed.length;
    before += tokens;
    const unit = Math.min(n - 1, Math.floor(at * n));
    return { ...d, domain: unitName(unit), meta: { ...d.meta, ...(d.domain !== undefined && { sourceDomain: d.domain }) } };
  });
}
