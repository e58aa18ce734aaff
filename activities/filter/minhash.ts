/**
 * MinHash LSH near-duplicate removal, as datatrove 0.10's `MinhashDedupSignature` / `MinhashDedupBuckets` /
 * `MinhashDedupCluster` do it with `MinhashConfig(hash_config=HashConfig(precision=32, hash_fc="sha1"))`:
 *
 * 1. shingles: the document through {@link simplifyText}, split into words by spaCy's English tokenizer
 *    ({@link wordTokenize}), every run of `ngram` consecutive words joined by a space and hashed to 32 bits
 *    (the first 4 bytes of its SHA-1, little-endian);
 * 2. signature: `buckets × hashesPerBucket` hash functions `h(x) = ((x·a + b) mod 2^64 mod (2^61 − 1)) mod 2^32`
 *    (the `mod 2^64` is NumPy's uint64 overflow, kept so signatures equal datatrove's), with `a`, `b` drawn from
 *    `np.random.RandomState(seed)`; the signature is each function's minimum over the shingles;
 * 3. LSH: two documents are duplicates when all `hashesPerBucket` values of some bucket agree. Their probability of
 *    being caught is {@link candidateProbability}`(J, hashesPerBucket, buckets)` for shingle-set Jaccard similarity J.
 *
 * Unlike datatrove's batch clustering, {@link MinHashDeduper} streams: the first document of a cluster is kept and
 * later ones are removed. Removed documents stay in the index (pointing to their cluster's kept document), so a chain
 * A≈B≈C removes B and C as datatrove's union-find would. A document that would join two clusters whose first
 * documents were both kept already cannot un-keep either of them (datatrove would remove one).
 */
import { MT19937, randintU64 } from './numpy-random.ts';
import { sha1Hash32 } from './sha1-hash32.ts';
import { wordTokenize } from './rules/tokenizer/spacy-en.ts';
import { simplifyText } from './simplify-text.ts';

/** MinHash parameters; the defaults are datatrove's `MinhashConfig()`. */
export interface MinHashOptions {
  /** Words per shingle. Default 5. */
  ngram?: number;
  /** LSH bands ("buckets"). Default 14. */
  buckets?: number;
  /** Hash values per band; a band matches only when all agree. Default 8. */
  hashesPerBucket?: number;
  /** Seed of the hash family (NumPy `RandomState` seed), an integer in [0, 2^32). Default 1. */
  seed?: number;
}

const TWO32 = 2 ** 32;
const ENCODER = new TextEncoder();
/** Signature value of a document without shingles (datatrove writes no signature for one). */
const EMPTY = 0xffffffff;

/** 1 − (1 − s^r)^b: the probability that LSH with b bands of r hashes pairs two sets of Jaccard similarity s. */
export function candidateProbability(s: number, r: number, b: number): number {
  if (!(s >= 0 && s <= 1)) throw new RangeError(`candidateProbability: s must be in [0, 1], got ${s}`);
  if (!Number.isInteger(r) || r < 1 || !Number.isInteger(b) || b < 1) throw new RangeError(`candidateProbability: r and b must be positive integers, got r=${r}, b=${b}`);
  return 1 - (1 - s ** r) ** b;
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1) throw new RangeError(`MinHashDeduper: ${name} must be a positive integer, got ${String(v)}`);
  return x;
}

/** Near-duplicate detection by MinHash LSH; see the module comment for the exact algorithm. */
export class MinHashDeduper {
  readonly ngram: number;
  readonly buckets: number;
  readonly hashesPerBucket: number;
  readonly seed: number;
  // Hash parameters a = aHi·2^32 + aLo and b = bHi·2^32 + bLo, one per hash function.
  readonly #aLo: Float64Array;
  readonly #aHi: Uint32Array;
  readonly #bLo: Float64Array;
  readonly #bHi: Float64Array;
  /** Per band: band key → id of the kept document of the cluster that first wrote it. */
  readonly #bands: Array<Map<string, string>>;

  constructor(opts: MinHashOptions = {}) {
    this.ngram = positiveInt('ngram', opts.ngram, 5);
    this.buckets = positiveInt('buckets', opts.buckets, 14);
    this.hashesPerBucket = positiveInt('hashesPerBucket', opts.hashesPerBucket, 8);
    this.seed = opts.seed ?? 1;
    if (!Number.isInteger(this.seed) || this.seed < 0 || this.seed >= TWO32) throw new RangeError(`MinHashDeduper: seed must be an integer in [0, 2^32), got ${String(opts.seed)}`);
    const n = this.buckets * this.hashesPerBucket;
    // datatrove: a = randint(1, 2^61 - 1, size=n), then b = randint(0, 2^61 - 1, size=n), from one generator.
    const gen = new MT19937(this.seed);
    const mersenne = { hi: 0x1fffffff, lo: 0xffffffff };
    const a = randintU64(gen, 1, mersenne, n);
    const b = randintU64(gen, 0, mersenne, n);
    this.#aLo = Float64Array.from(a, (x) => x.lo);
    this.#aHi = Uint32Array.from(a, (x) => x.hi);
    this.#bLo = Float64Array.from(b, (x) => x.lo);
    this.#bHi = Float64Array.from(b, (x) => x.hi);
    this.#bands = Array.from({ length: this.buckets }, () => new Map<string, string>());
  }

  /**
   * The distinct 32-bit shingle hashes of `text` (see the module comment). Fewer than `ngram` words give none.
   */
  shingles(text: string): Uint32Array {
    const words = wordTokenize(simplifyText(text));
    if (words.length < this.ngram) return new Uint32Array(0);
    // Words joined by single spaces: every shingle is then one contiguous byte range of this buffer.
    const bytes = ENCODER.encode(words.join(' '));
    const starts = new Int32Array(words.length + 1);
    let at = 0;
    words.forEach((w, i) => {
      starts[i] = at;
      at += utf8Length(w) + 1;
    });
    starts[words.length] = at;
    const seen = new Set<number>();
    for (let i = 0; i + this.ngram <= words.length; i++) seen.add(sha1Hash32(bytes, starts[i]!, starts[i + this.ngram]! - 1));
    return Uint32Array.from(seen);
  }

  /**
   * The MinHash signature of `text`: `buckets × hashesPerBucket` values, bucket after bucket, equal to datatrove's
   * `get_signature` (32-bit precision, sha1 shingles) with the same seed. A text with no shingle (fewer than `ngram`
   * words) gets all 0xFFFFFFFF; such documents are never duplicates.
   */
  signature(text: string): Uint32Array {
    return this.#signatureOf(this.shingles(text));
  }

  #signatureOf(shingles: Uint32Array): Uint32Array {
    const n = this.#aLo.length;
    const sig = new Uint32Array(n).fill(EMPTY);
    const m = shingles.length;
    // The 16-bit halves of each shingle, so every partial product below is exact in a double (< 2^53).
    const s0 = new Float64Array(m);
    const s1 = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      s0[j] = shingles[j]! & 0xffff;
      s1[j] = shingles[j]! >>> 16;
    }
    for (let i = 0; i < n; i++) {
      const aLo = this.#aLo[i]!;
      const aHi = this.#aHi[i]!;
      const bLo = this.#bLo[i]!;
      const bHi = this.#bHi[i]!;
      let min = EMPTY;
      for (let j = 0; j < m; j++) {
        const x = shingles[j]!;
        // x·aLo as a 64-bit value (lo, hi), from x = x1·2^16 + x0; `>>> 0` is an exact mod 2^32 below 2^53.
        const p0 = s0[j]! * aLo;
        const p1 = s1[j]! * aLo;
        const t = p0 + (p1 & 0xffff) * 65536;
        let lo = t >>> 0;
        let hi = (p1 - (p1 & 0xffff)) / 65536 + (t - lo) / TWO32;
        // + (x·aHi mod 2^32)·2^32, then + b, all mod 2^64.
        hi += Math.imul(x, aHi) >>> 0;
        lo += bLo;
        if (lo >= TWO32) {
          lo -= TWO32;
          hi += 1;
        }
        hi = (hi + bHi) >>> 0;
        // mod 2^61 − 1: fold the top 3 bits back in (2^61 ≡ 1), then subtract once if still ≥ 2^61 − 1.
        let mid = hi & 0x1fffffff;
        lo += hi >>> 29;
        if (lo >= TWO32) {
          lo -= TWO32;
          mid += 1;
        }
        let h: number;
        if (mid === 0x20000000) h = lo + 1;
        else if (mid === 0x1fffffff && lo === 0xffffffff) h = 0;
        else h = lo;
        if (h < min) min = h;
      }
      sig[i] = min;
    }
    return sig;
  }

  /**
   * Streaming dedup: checks `text` against every document added so far. Returns `null` when the document is kept
   * (it shares no band with any earlier document, or it has no shingle), else the id of the kept document of the
   * cluster it joins. Either way its bands are remembered, so later near-duplicates of it are caught too.
   */
  add(id: string, text: string): string | null {
    const shingles = this.shingles(text);
    if (shingles.length === 0) return null;
    const sig = this.#signatureOf(shingles);
    const keys = this.#bands.map((_, band) => bandKey(sig, band * this.hashesPerBucket, this.hashesPerBucket));
    let keptId: string | null = null;
    for (let band = 0; band < keys.length && keptId === null; band++) keptId = this.#bands[band]!.get(keys[band]!) ?? null;
    const owner = keptId ?? id;
    keys.forEach((key, band) => {
      const index = this.#bands[band]!;
      if (!index.has(key)) index.set(key, owner);
    });
    return keptId;
  }

  /** How many band entries the index holds (memory grows with this). */
  get indexSize(): number {
    return this.#bands.reduce((n, m) => n + m.size, 0);
  }
}

/** A band's values as a compact exact string key: two UTF-16 units per 32-bit value. */
function bandKey(sig: Uint32Array, from: number, count: number): string {
  const units = new Array<number>(2 * count);
  for (let k = 0; k < count; k++) {
    const v = sig[from + k]!;
    units[2 * k] = v >>> 16;
    units[2 * k + 1] = v & 0xffff;
  }
  return String.fromCharCode(...units);
}

/** UTF-8 byte length of a string (lone surrogates count as U+FFFD, 3 bytes, as TextEncoder writes them). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
