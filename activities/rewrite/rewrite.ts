/**
 * The rewrite stage's core, over documents in memory: rewrite every document with an engine, score
 * the rewrites, keep the good ones. No I/O of its own (the engine may have some).
 */
import type { Doc } from '../../datasets/types.ts';
import type { RewriteEngine } from './engine.ts';

/** A quality score of a text; higher is better. The stage's `threshold` assumes scores in [0, 1]. */
export type Scorer = (text: string) => number | Promise<number>;

/** Which rewrites to keep. */
export interface RewriteSelection {
  score: Scorer;
  /** Keep a rewrite only if its score is strictly above this. */
  threshold?: number;
  /**
   * Keep only the best `floor(keepTopFraction × n)` of the n successful rewrites by score (ties go to
   * the earlier document). With `threshold` too, a rewrite must pass both.
   */
  keepTopFraction?: number;
}

/** What {@link rewriteDocs} produced. */
export interface RewriteOutcome {
  /** Kept rewrites, in input order. */
  docs: Doc[];
  stats: {
    /** Input documents. */
    docs: number;
    /** Documents the engine rewrote to a non-empty text. */
    rewritten: number;
    /** Documents the engine gave up on (null or empty rewrite). */
    failed: number;
    kept: number;
    /** Mean score of the input documents (NaN when there are none). */
    scoreBefore: number;
    /** Mean score of all successful rewrites. */
    scoreRewritten: number;
    /** Mean score of the kept rewrites. */
    scoreAfter: number;
  };
}

/** Fields the filter stage adds to rejected documents; they describe the source, not the rewrite. */
const SOURCE_ONLY_META = new Set(['rejectedBy', 'rejectionReason']);

/** Id of the rewrite of document `id`. */
export function rewrittenId(id: string): string {
  return `rewrite:${id}`;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

async function scoreOf(score: Scorer, text: string, what: string): Promise<number> {
  const s = await score(text);
  if (typeof s !== 'number' || !Number.isFinite(s)) throw new Error(`rewrite: scorer returned ${String(s)} for ${what}; expected a finite number`);
  return s;
}

/**
 * Indices (into `scores`) of the entries to keep, in ascending order. See {@link RewriteSelection}
 * for the rules.
 */
export function selectKept(scores: readonly number[], selection: Omit<RewriteSelection, 'score'>): number[] {
  let keep = scores.map((_, i) => i);
  if (selection.keepTopFraction !== undefined) {
    const f = selection.keepTopFraction;
    if (!(f >= 0 && f <= 1)) throw new Error(`rewrite: keepTopFraction: expected a number in [0, 1], got ${f}`);
    // The epsilon keeps 0.3 × 10 at 3 despite floating point (0.30000000000000004 × 10).
    const n = Math.floor(f * scores.length + 1e-9);
    keep = [...keep].sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, n).sort((a, b) => a - b);
  }
  if (selection.threshold !== undefined) {
    const t = selection.threshold;
    keep = keep.filter((i) => scores[i]! > t);
  }
  return keep;
}

/**
 * Rewrites `docs` with `engine` (`engine.batchSize` at a time), scores each source and each rewrite
 * with `selection.score`, and keeps the rewrites {@link selectKept} picks. A kept rewrite has id
 * {@link rewrittenId}, the source's domain and license, the source's meta (less the filter's
 * rejection fields) plus `sourceId`, `engine` and `score`. `onProgress` gets the number of documents
 * done after every batch; the loop yields to the event loop between batches and stops (rejecting
 * with the abort reason) once `opts.signal` aborts.
 */
export async function rewriteDocs(
  docs: AsyncIterable<Doc> | Iterable<Doc>,
  engine: RewriteEngine,
  selection: RewriteSelection,
  opts: { signal?: AbortSignal; onProgress?: (done: number) => void } = {},
): Promise<RewriteOutcome> {
  const candidates: Array<{ doc: Doc; text: string; score: number }> = [];
  const before: number[] = [];
  let seen = 0;
  let batch: Doc[] = [];
  const flush = async (): Promise<void> => {
    opts.signal?.throwIfAborted();
    const done = seen;
    const texts = await engine.rewrite(
      batch.map((d) => d.text),
      { ...(opts.signal !== undefined ? { signal: opts.signal } : {}), onProgress: (n) => opts.onProgress?.(done - batch.length + n) },
    );
    if (texts.length !== batch.length) throw new Error(`rewrite: engine '${engine.name}' answered ${texts.length} texts for ${batch.length}`);
    for (const [i, doc] of batch.entries()) {
      before.push(await scoreOf(selection.score, doc.text, `document '${doc.id}'`));
      const text = texts[i];
      if (text === null || text === undefined || text.trim() === '') continue;
      candidates.push({ doc, text, score: await scoreOf(selection.score, text, `the rewrite of '${doc.id}'`) });
    }
    batch = [];
    opts.onProgress?.(done);
    await new Promise((resolve) => setImmediate(resolve));
  };
  for await (const doc of docs) {
    batch.push(doc);
    seen += 1;
    if (batch.length >= engine.batchSize) await flush();
  }
  if (batch.length > 0) await flush();

  const kept = selectKept(
    candidates.map((c) => c.score),
    { ...(selection.threshold !== undefined ? { threshold: selection.threshold } : {}), ...(selection.keepTopFraction !== undefined ? { keepTopFraction: selection.keepTopFraction } : {}) },
  ).map((i) => candidates[i]!);
  const out = kept.map(({ doc, text, score }): Doc => {
    const meta = Object.fromEntries(Object.entries(doc.meta ?? {}).filter(([k]) => !SOURCE_ONLY_META.has(k)));
    const rewritten: Doc = { id: rewrittenId(doc.id), text, meta: { ...meta, sourceId: doc.id, engine: engine.name, score } };
    if (doc.domain !== undefined) rewritten.domain = doc.domain;
    if (doc.license !== undefined) rewritten.license = doc.license;
    return rewritten;
  });
  return {
    docs: out,
    stats: {
      docs: seen,
      rewritten: candidates.length,
      failed: seen - candidates.length,
      kept: out.length,
      scoreBefore: mean(before),
      scoreRewritten: mean(candidates.map((c) => c.score)),
      scoreAfter: mean(kept.map((c) => c.score)),
    },
  };
}
