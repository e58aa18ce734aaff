/**
 * A learned quality classifier: logistic regression over hashed word unigrams and bigrams, trained with Adagrad and
 * L2 on documents labelled high (1) or low (0) quality. The features follow the "hashing trick": each n-gram is
 * hashed (MurmurHash3, 32-bit; a bigram by mixing its two token hashes) to one of `dims` slots, and another bit of the hash gives it a sign, so collisions
 * cancel out on average instead of adding up. Training is deterministic for a given seed.
 */
import { z } from 'zod';
import { mulberry32 } from '../../ml/random.ts';

/** What the classifier reads of a document. */
export interface TextDoc {
  text: string;
}

export interface TrainOptions {
  /** Passes over the training set. Default 5. */
  epochs?: number;
  /** Adagrad base learning rate. Default 0.5. */
  lr?: number;
  /** L2 penalty per weight (applied to the weights a document touches, when it touches them). Default 1e-6. */
  l2?: number;
  /** Feature slots, a power of two up to 2^24. Default 2^18. */
  dims?: number;
  /** Seed of the example order. Default 0. */
  seed?: number;
}

/** A trained classifier. `weights` is dense; most entries stay 0. */
export interface QualityModel {
  readonly dims: number;
  bias: number;
  readonly weights: Float64Array;
}

const MAX_TOKENS = 20_000;
/** Per-slot counts while featurizing one document; always all zero between calls. */
let scratch = new Int32Array(0);
const TOKEN = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;

/** MurmurHash3's finalizer: a bijective 32-bit mix. */
function fmix32(x: number): number {
  let h = x ^ (x >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** MurmurHash3 x86 32-bit over a string's UTF-16 code units (deterministic, well mixed, no allocation). */
function murmur3(key: string, seed: number): number {
  let h = seed >>> 0;
  const n = key.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = key.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  return fmix32(h ^ (n * 2));
}

/** Adds ±1 to a slot: the hash's top bit, independent of its slot bits (dims ≤ 2^24), is the sign. */
function bump(counts: Int32Array, touched: number[], slot: number, negative: number): void {
  if (counts[slot] === 0) touched.push(slot);
  counts[slot]! += negative ? -1 : 1;
}

/** A document's features: sorted distinct slots and their values, the vector L2-normalized. */
interface Features {
  index: Int32Array;
  value: Float64Array;
}

/**
 * The feature vector of a text: tokens are runs of letters and digits and single other characters (so `$`, `!`
 * and `<` count), lowercased, at most the first 20,000; every unigram and bigram adds ±1 to its hashed slot; slot
 * values become `sign · (1 + ln |count|)` and the vector is scaled to unit length.
 */
function featurize(text: string, dims: number): Features {
  const tokens = (text.toLowerCase().match(TOKEN) ?? []).slice(0, MAX_TOKENS);
  if (scratch.length !== dims) scratch = new Int32Array(dims);
  const counts = scratch;
  const touched: number[] = [];
  const mask = dims - 1;
  let prev = 0;
  for (let i = 0; i < tokens.length; i++) {
    const h = murmur3(tokens[i]!, 0x9747b28c);
    // A bigram's hash mixes its two tokens' hashes (order matters), which spares building the bigram string.
    bump(counts, touched, h & mask, h >>> 31);
    if (i > 0) {
      const hb = fmix32((Math.imul((prev << 13) | (prev >>> 19), 5) + 0x52dce729) ^ h);
      bump(counts, touched, hb & mask, hb >>> 31);
    }
    prev = h;
  }
  // A slot whose ±1s cancelled may be listed twice (it went back to 0 and was touched again): dedupe after sorting.
  const slots = Int32Array.from(touched).sort();
  const index: number[] = [];
  const value: number[] = [];
  let sq = 0;
  for (let k = 0; k < slots.length; k++) {
    const slot = slots[k]!;
    const c = counts[slot]!;
    if (c !== 0 && (k === 0 || slots[k - 1] !== slot)) {
      const v = Math.sign(c) * (1 + Math.log(Math.abs(c)));
      index.push(slot);
      value.push(v);
      sq += v * v;
    }
  }
  for (const slot of touched) counts[slot] = 0;
  const norm = Math.sqrt(sq) || 1;
  return { index: Int32Array.from(index), value: Float64Array.from(value, (v) => v / norm) };
}

function margin(model: QualityModel, f: Features): number {
  let z = model.bias;
  for (let k = 0; k < f.index.length; k++) z += model.weights[f.index[k]!]! * f.value[k]!;
  return z;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * Trains a classifier that scores `high` documents near 1 and `low` near 0: logistic loss, per-coordinate Adagrad,
 * examples shuffled every epoch by a PRNG seeded with `seed` (same inputs and options ⇒ the same model, bit for
 * bit). Each class is weighted by the inverse of its share, so an imbalanced training set does not shift the
 * decision towards the larger class. Both lists must be non-empty.
 */
export function trainQualityClassifier(high: readonly TextDoc[], low: readonly TextDoc[], opts: TrainOptions = {}): QualityModel {
  const epochs = opts.epochs ?? 5;
  const lr = opts.lr ?? 0.5;
  const l2 = opts.l2 ?? 1e-6;
  const dims = opts.dims ?? 2 ** 18;
  const seed = opts.seed ?? 0;
  if (high.length === 0 || low.length === 0) throw new Error(`trainQualityClassifier: needs documents of both labels, got ${high.length} high and ${low.length} low`);
  if (!Number.isInteger(dims) || dims < 2 || dims > 2 ** 24 || (dims & (dims - 1)) !== 0) throw new RangeError(`trainQualityClassifier: dims must be a power of two in [2, 2^24], got ${dims}`);
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`trainQualityClassifier: epochs must be a positive integer, got ${epochs}`);
  if (!(lr > 0) || !(l2 >= 0)) throw new RangeError(`trainQualityClassifier: lr must be > 0 and l2 >= 0, got lr=${lr}, l2=${l2}`);
  const examples = [
    ...high.map((d) => ({ f: featurize(d.text, dims), y: 1, w: (high.length + low.length) / (2 * high.length) })),
    ...low.map((d) => ({ f: featurize(d.text, dims), y: 0, w: (high.length + low.length) / (2 * low.length) })),
  ];
  const model: QualityModel = { dims, bias: 0, weights: new Float64Array(dims) };
  const g2 = new Float64Array(dims);
  let g2Bias = 0;
  const random = mulberry32(seed); // a reproducible example order
  const order = examples.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const at of order) {
      const { f, y, w } = examples[at]!;
      const err = w * (sigmoid(margin(model, f)) - y);
      for (let k = 0; k < f.index.length; k++) {
        const slot = f.index[k]!;
        const g = err * f.value[k]! + l2 * model.weights[slot]!;
        g2[slot]! += g * g;
        model.weights[slot]! -= (lr * g) / (Math.sqrt(g2[slot]!) + 1e-8);
      }
      g2Bias += err * err;
      model.bias -= (lr * err) / (Math.sqrt(g2Bias) + 1e-8);
    }
  }
  return model;
}

/** The model's probability that `text` is high quality, in (0, 1). */
export function scoreDoc(model: QualityModel, text: string): number {
  return sigmoid(margin(model, featurize(text, model.dims)));
}

/** The serialized form of a {@link QualityModel} (`toJSON`); only the non-zero weights are stored. */
export const qualityModelJson = z
  .object({
    format: z.literal('braise.quality-classifier/v1'),
    dims: z.number().int().min(2).max(2 ** 24).refine((d) => (d & (d - 1)) === 0, 'must be a power of two'),
    bias: z.number(),
    /** Slots of the non-zero weights, ascending. */
    indices: z.array(z.number().int().nonnegative()),
    /** Their weights (doubles, so a round trip scores exactly the same). */
    values: z.array(z.number()),
  })
  .strict()
  .refine((m) => m.indices.length === m.values.length, { message: 'indices and values must have the same length', path: ['values'] })
  .refine((m) => m.indices.every((i) => i < m.dims), { message: 'every index must be < dims', path: ['indices'] });
export type QualityModelJson = z.output<typeof qualityModelJson>;

/** A JSON-ready copy of `model`; {@link fromJSON} restores it exactly. */
export function toJSON(model: QualityModel): QualityModelJson {
  const indices: number[] = [];
  const values: number[] = [];
  model.weights.forEach((v, i) => {
    if (v !== 0) {
      indices.push(i);
      values.push(v);
    }
  });
  return { format: 'braise.quality-classifier/v1', dims: model.dims, bias: model.bias, indices, values };
}

/** Restores a model from {@link toJSON}'s output (parsed JSON); anything else throws a ZodError naming the field. */
export function fromJSON(json: unknown): QualityModel {
  const m = qualityModelJson.parse(json);
  const weights = new Float64Array(m.dims);
  m.indices.forEach((i, k) => (weights[i] = m.values[k]!));
  return { dims: m.dims, bias: m.bias, weights };
}

/** How {@link selectByQuality} decides. */
export interface SelectOptions {
  /** Keep documents scoring at least this. Default 0.5 when `keepTopFraction` is not given. */
  threshold?: number;
  /** Keep the best-scoring fraction (ceil(f·n) documents, ties by input order); with `threshold`, both must hold. */
  keepTopFraction?: number;
}

/**
 * Scores every document and splits them: `kept` and `rejected` keep the input order; rejected documents carry
 * `meta.rejectedBy: 'quality-classifier'`, `meta.rejectionReason: 'low_quality'` and `meta.qualityScore`.
 * `scores[i]` is the score of `docs[i]`.
 */
export function selectByQuality<D extends TextDoc & { meta?: Record<string, unknown> }>(
  docs: readonly D[],
  model: QualityModel,
  opts: SelectOptions = {},
): { kept: D[]; rejected: Array<D & { meta: Record<string, unknown> }>; scores: number[] } {
  const { keepTopFraction } = opts;
  if (keepTopFraction !== undefined && !(keepTopFraction >= 0 && keepTopFraction <= 1)) throw new RangeError(`selectByQuality: keepTopFraction must be in [0, 1], got ${keepTopFraction}`);
  const threshold = opts.threshold ?? (keepTopFraction === undefined ? 0.5 : -Infinity);
  const scores = docs.map((d) => scoreDoc(model, d.text));
  let top: Set<number> | null = null;
  if (keepTopFraction !== undefined) {
    const ranked = scores.map((s, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
    top = new Set(ranked.slice(0, Math.ceil(keepTopFraction * docs.length)));
  }
  const kept: D[] = [];
  const rejected: Array<D & { meta: Record<string, unknown> }> = [];
  docs.forEach((doc, i) => {
    if (scores[i]! >= threshold && (top === null || top.has(i))) kept.push(doc);
    else rejected.push({ ...doc, meta: { ...doc.meta, rejectedBy: 'quality-classifier', rejectionReason: 'low_quality', qualityScore: scores[i] } });
  });
  return { kept, rejected, scores };
}
