/**
 * Byte n-gram baselines for perplexity evaluation: what a model's bits per byte should be compared
 * against. A model that scores worse than a trigram model of its own training documents has not
 * learned anything a count table could not.
 *
 * Each document is the symbol sequence `EOS EOS x₁ … xₙ EOS` (two EOS of start padding, the usual
 * `<s> <s>`): the targets are x₁ … xₙ and the closing EOS, each predicted from the (up to) two symbols
 * before it, exactly the targets the model is scored on (ml/trainer/evaluate.ts). Counts are over the
 * training documents' targets; V is the tokenizer's vocabulary (257 for bytes).
 *
 * Smoothing (Chen & Goodman 1998, "An empirical study of smoothing techniques for language modeling"):
 * - unigram: add-one (Laplace), p₁(w) = (c(w) + 1) / (N + V);
 * - bigram: Witten-Bell interpolation with the unigram,
 *   p₂(w | u) = (c(u w) + T(u) · p₁(w)) / (c(u ·) + T(u)), with T(u) the number of distinct symbols
 *   seen after u; p₂(w | u) = p₁(w) when u was never seen as a history;
 * - trigram: the same one order up, p₃(w | v u) = (c(v u w) + T(v u) · p₂(w | u)) / (c(v u ·) + T(v u)).
 * Witten-Bell needs no held-out tuning and every distribution sums to one over V.
 */

import type { EvaluateBaseline } from '../recipe/stages/evaluate.ts';

/** Counts of a byte trigram model fitted on documents (see the file header for the estimates). */
export class NgramModel {
  private readonly uni: Float64Array;
  private total = 0;
  /** c(u w) at u·V + w. */
  private readonly bi: Float64Array;
  /** c(u ·) and T(u) at u. */
  private readonly biCtx: Float64Array;
  private readonly biTypes: Float64Array;
  /** c(v u w) at (v·V + u)·V + w (sparse). */
  private readonly tri = new Map<number, number>();
  /** c(v u ·) and T(v u) at v·V + u. */
  private readonly triCtx: Float64Array;
  private readonly triTypes: Float64Array;

  constructor(
    readonly vocabSize: number,
    readonly eosId: number,
  ) {
    const V = vocabSize;
    this.uni = new Float64Array(V);
    this.bi = new Float64Array(V * V);
    this.biCtx = new Float64Array(V);
    this.biTypes = new Float64Array(V);
    this.triCtx = new Float64Array(V * V);
    this.triTypes = new Float64Array(V * V);
  }

  /** Adds one document (its token ids, without EOS) to the counts. */
  add(ids: readonly number[]): void {
    const V = this.vocabSize;
    let v = this.eosId;
    let u = this.eosId;
    for (let i = 0; i <= ids.length; i++) {
      const w = i < ids.length ? this.check(ids[i]!) : this.eosId;
      this.uni[w]!++;
      this.total++;
      const b = u * V + w;
      if (this.bi[b]!++ === 0) this.biTypes[u]!++;
      this.biCtx[u]!++;
      const h = v * V + u;
      const t = h * V + w;
      const c = this.tri.get(t) ?? 0;
      if (c === 0) this.triTypes[h]!++;
      this.tri.set(t, c + 1);
      this.triCtx[h]!++;
      v = u;
      u = w;
    }
  }

  /** p(w) under the add-one unigram. */
  unigram(w: number): number {
    return (this.uni[w]! + 1) / (this.total + this.vocabSize);
  }

  /** p(w | u) under the Witten-Bell bigram. */
  bigram(u: number, w: number): number {
    const lower = this.unigram(w);
    const n = this.biCtx[u]!;
    if (n === 0) return lower;
    const types = this.biTypes[u]!;
    return (this.bi[u * this.vocabSize + w]! + types * lower) / (n + types);
  }

  /** p(w | v u) under the Witten-Bell trigram (v the older symbol). */
  trigram(v: number, u: number, w: number): number {
    const lower = this.bigram(u, w);
    const h = v * this.vocabSize + u;
    const n = this.triCtx[h]!;
    if (n === 0) return lower;
    const types = this.triTypes[h]!;
    return ((this.tri.get(h * this.vocabSize + w) ?? 0) + types * lower) / (n + types);
  }

  /**
   * Summed negative log-likelihood (nats) of one document (ids without EOS) under each baseline:
   * its n bytes and the closing EOS, as the model is scored.
   */
  documentNll(ids: readonly number[]): Record<EvaluateBaseline, number> {
    const out = { unigram: 0, bigram: 0, trigram: 0 };
    let v = this.eosId;
    let u = this.eosId;
    for (let i = 0; i <= ids.length; i++) {
      const w = i < ids.length ? this.check(ids[i]!) : this.eosId;
      out.unigram -= Math.log(this.unigram(w));
      out.bigram -= Math.log(this.bigram(u, w));
      out.trigram -= Math.log(this.trigram(v, u, w));
      v = u;
      u = w;
    }
    return out;
  }

  private check(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new Error(`ngram: token id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
    return id;
  }
}

/** A trigram count model of `docs` (each a document's token ids, without EOS). */
export function fitNgram(docs: Iterable<readonly number[]>, vocabSize: number, eosId: number): NgramModel {
  const m = new NgramModel(vocabSize, eosId);
  for (const ids of docs) m.add(ids);
  return m;
}
