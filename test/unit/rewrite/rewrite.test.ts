import { describe, expect, it } from 'vitest';
import type { RewriteEngine } from '../../../activities/rewrite/engine.ts';
import { rewriteDocs, selectKept } from '../../../activities/rewrite/rewrite.ts';
import type { Doc } from '../../../datasets/types.ts';

/** Score = share of letters that are lowercase vowels, a deterministic stand-in for a classifier. */
const vowelShare = (text: string): number => {
  const letters = text.replace(/[^a-z]/gi, '');
  return letters.length === 0 ? 0 : letters.replace(/[^aeiou]/g, '').length / letters.length;
};

/** Rewrites by upper-casing consonants away: 'keep vowels' engine; '' for texts containing 'FAIL'. */
function fakeEngine(batchSize = 2): RewriteEngine & { calls: number[] } {
  const calls: number[] = [];
  return {
    name: 'fake',
    batchSize,
    calls,
    rewrite(texts) {
      calls.push(texts.length);
      return Promise.resolve(texts.map((t) => (t.includes('FAIL') ? null : t.replace(/[bcdfg]/g, 'a'))));
    },
  };
}

const docs: Doc[] = [
  { id: 'd1', text: 'bbbb cccc', domain: 'web', license: 'cc-by', meta: { rejectedBy: 'gopher-quality', rejectionReason: 'gopher_short_doc', url: 'u1' } },
  { id: 'd2', text: 'bbbb FAIL', domain: 'web' },
  { id: 'd3', text: 'bxyz', domain: 'web' },
  { id: 'd4', text: 'ggzz' },
  { id: 'd5', text: 'bbzz', domain: 'news' },
];

describe('selectKept', () => {
  it('keeps the top floor(f·n) by score, ties to the earlier, in input order', () => {
    expect(selectKept([0.1, 0.9, 0.5, 0.9, 0.3], { keepTopFraction: 0.4 })).toEqual([1, 3]);
    expect(selectKept([0.5, 0.5, 0.5], { keepTopFraction: 0.5 })).toEqual([0]);
    expect(selectKept([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], { keepTopFraction: 0.3 })).toEqual([7, 8, 9]);
    expect(selectKept([0.1, 0.2], { keepTopFraction: 0 })).toEqual([]);
    expect(selectKept([0.1, 0.2], { keepTopFraction: 1 })).toEqual([0, 1]);
  });

  it('threshold keeps scores strictly above it; both rules must hold together', () => {
    expect(selectKept([0.1, 0.5, 0.6, 0.9], { threshold: 0.5 })).toEqual([2, 3]);
    expect(selectKept([0.1, 0.5, 0.6, 0.9], { threshold: 0.5, keepTopFraction: 0.25 })).toEqual([3]);
    expect(selectKept([0.1, 0.2, 0.3, 0.4], { threshold: 0.5, keepTopFraction: 0.5 })).toEqual([]);
    expect(selectKept([0.3, 0.1], {})).toEqual([0, 1]);
  });
});

describe('rewriteDocs', () => {
  it('rewrites in engine-sized batches and keeps everything without selection rules', async () => {
    const engine = fakeEngine(2);
    const progress: number[] = [];
    const { docs: out, stats } = await rewriteDocs(docs, engine, { score: vowelShare }, { onProgress: (n) => progress.push(n) });
    expect(engine.calls).toEqual([2, 2, 1]);
    expect(progress.at(-1)).toBe(5);
    expect(out.map((d) => d.id)).toEqual(['rewrite:d1', 'rewrite:d3', 'rewrite:d4', 'rewrite:d5']);
    expect(out[0]).toEqual({
      id: 'rewrite:d1',
      text: 'aaaa aaaa',
      domain: 'web',
      license: 'cc-by',
      meta: { url: 'u1', sourceId: 'd1', engine: 'fake', score: 1 },
    });
    expect(out[2]).toEqual({ id: 'rewrite:d4', text: 'aazz', meta: { sourceId: 'd4', engine: 'fake', score: 0.5 } });
    expect(stats).toEqual({
      docs: 5,
      rewritten: 4,
      failed: 1,
      kept: 4,
      scoreBefore: 0,
      scoreRewritten: (1 + 0.25 + 0.5 + 0.5) / 4,
      scoreAfter: (1 + 0.25 + 0.5 + 0.5) / 4,
    });
  });

  it('keepTopFraction and threshold select by the scorer, on the rewrites', async () => {
    // Rewrite scores: d1 1, d3 0.25, d4 0.5, d5 0.5 (d2 failed).
    const top = await rewriteDocs(docs, fakeEngine(), { score: vowelShare, keepTopFraction: 0.5 });
    expect(top.docs.map((d) => d.meta?.['sourceId'])).toEqual(['d1', 'd4']);
    expect(top.stats.scoreAfter).toBe(0.75);
    const above = await rewriteDocs(docs, fakeEngine(), { score: vowelShare, threshold: 0.4 });
    expect(above.docs.map((d) => d.meta?.['sourceId'])).toEqual(['d1', 'd4', 'd5']);
    const both = await rewriteDocs(docs, fakeEngine(), { score: vowelShare, threshold: 0.6, keepTopFraction: 0.75 });
    expect(both.docs.map((d) => d.meta?.['sourceId'])).toEqual(['d1']);
  });

  it('accepts async iterables and async scorers; rejects a scorer that returns NaN, naming the document', async () => {
    async function* gen(): AsyncGenerator<Doc> {
      yield* docs;
    }
    const r = await rewriteDocs(gen(), fakeEngine(10), { score: (t) => Promise.resolve(vowelShare(t)) });
    expect(r.stats.kept).toBe(4);
    await expect(rewriteDocs(docs, fakeEngine(), { score: (t) => (t === 'aazz' ? Number.NaN : 0) })).rejects.toThrow(
      "rewrite: scorer returned NaN for the rewrite of 'd4'; expected a finite number",
    );
  });

  it('rejects an engine that answers the wrong number of texts', async () => {
    const broken: RewriteEngine = { name: 'broken', batchSize: 3, rewrite: () => Promise.resolve(['x']) };
    await expect(rewriteDocs(docs, broken, { score: vowelShare })).rejects.toThrow("engine 'broken' answered 1 texts for 3");
  });
});

describe('rewriteDocs cancellation', () => {
  it('stops at the next batch once the signal aborts', async () => {
    const controller = new AbortController();
    const engine = fakeEngine(2);
    const run = rewriteDocs(docs, engine, { score: vowelShare }, { signal: controller.signal, onProgress: (n) => n >= 2 && controller.abort(new Error('cancelled by test')) });
    await expect(run).rejects.toThrow('cancelled by test');
    expect(engine.calls).toEqual([2]);
  });
});
