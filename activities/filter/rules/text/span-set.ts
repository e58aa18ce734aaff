/**
 * A set of substrings of one string, keyed by content, that never builds the substrings: Gopher repetition
 * looks up ~10 n-grams per word, and hashing freshly joined strings would cost more than all the other filters
 * together. Membership is exact: equal hashes are confirmed character by character.
 */

// Polynomial hashes modulo 2^32 in int32 arithmetic (Math.imul); doubles and `%` would cost a runtime call per
// character. Such hashes can be made to collide on purpose, which only costs time: equality is verified.
const B1 = 0x01000193;
const B2 = 0x5bd1e995;

/** Interns spans `[start, end)` of `text` by their content; ids are dense, in order of first sighting. */
export class SpanSet {
  readonly #text: string;
  readonly #h1: Int32Array;
  readonly #h2: Int32Array;
  readonly #p1: Int32Array;
  readonly #p2: Int32Array;
  readonly #cp: Int32Array;
  /** Open-addressing table of `id + 1` (0 = free), probed linearly from a mix of the first hash. */
  #table: Int32Array;
  #shift: number;
  #starts: Int32Array<ArrayBuffer>;
  #ends: Int32Array<ArrayBuffer>;
  #second: Int32Array<ArrayBuffer>;
  #size = 0;

  /** `capacity`: how many distinct spans to make room for up front (the set grows past it as needed). */
  constructor(text: string, capacity = 32) {
    const bits = Math.max(6, Math.ceil(Math.log2(Math.max(1, capacity) * 2 + 1)));
    this.#table = new Int32Array(2 ** bits);
    this.#shift = 32 - bits;
    this.#starts = new Int32Array(Math.max(1, capacity));
    this.#ends = new Int32Array(Math.max(1, capacity));
    this.#second = new Int32Array(Math.max(1, capacity));
    const n = text.length;
    this.#text = text;
    this.#h1 = new Int32Array(n + 1);
    this.#h2 = new Int32Array(n + 1);
    this.#p1 = new Int32Array(n + 1);
    this.#p2 = new Int32Array(n + 1);
    this.#cp = new Int32Array(n + 1);
    this.#p1[0] = 1;
    this.#p2[0] = 1;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      this.#h1[i + 1] = (Math.imul(this.#h1[i]!, B1) + c) | 0;
      this.#h2[i + 1] = (Math.imul(this.#h2[i]!, B2) + c) | 0;
      this.#p1[i + 1] = Math.imul(this.#p1[i]!, B1);
      this.#p2[i + 1] = Math.imul(this.#p2[i]!, B2);
      // A low surrogate after a high one completes a code point that was already counted.
      const lowAfterHigh = c >= 0xdc00 && c <= 0xdfff && i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff;
      this.#cp[i + 1] = this.#cp[i]! + (lowAfterHigh ? 0 : 1);
    }
  }

  /** Forgets every interned span (the hashes of the text are kept). */
  clear(): void {
    this.#table.fill(0);
    this.#size = 0;
  }

  /** Python `len(text[start:end])`: code points in the span. */
  codePoints(start: number, end: number): number {
    return this.#cp[end]! - this.#cp[start]!;
  }

  /** The id of the span's content, adding it when new. */
  idOf(start: number, end: number): number {
    const r = this.#intern(start, end);
    return r < 0 ? -r - 1 : r;
  }

  /** Adds the span's content; true when it was not there yet. */
  add(start: number, end: number): boolean {
    return this.#intern(start, end) < 0;
  }

  /** The content's id if it was there, or `-(id + 1)` for the id it has just been given (no object per call). */
  #intern(start: number, end: number): number {
    const len = end - start;
    const first = (this.#h1[end]! - Math.imul(this.#h1[start]!, this.#p1[len]!)) | 0;
    const second = (this.#h2[end]! - Math.imul(this.#h2[start]!, this.#p2[len]!)) | 0;
    const mask = this.#table.length - 1;
    let slot = this.#slot(first);
    for (;;) {
      const entry = this.#table[slot]!;
      if (entry === 0) break;
      if (this.#same(entry - 1, start, end, second)) return entry - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.#add(start, end, second);
    this.#table[slot] = id + 1;
    if (this.#size * 2 > this.#table.length) this.#rehash();
    return -id - 1;
  }

  /** Start and end of the first span seen with this id. */
  span(id: number): [number, number] {
    return [this.#starts[id]!, this.#ends[id]!];
  }

  #add(start: number, end: number, second: number): number {
    if (this.#size === this.#starts.length) {
      const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.#starts = grow(this.#starts);
      this.#ends = grow(this.#ends);
      this.#second = grow(this.#second);
    }
    this.#starts[this.#size] = start;
    this.#ends[this.#size] = end;
    this.#second[this.#size] = second;
    return this.#size++;
  }

  #rehash(): void {
    const table = new Int32Array(this.#table.length * 2);
    this.#shift--;
    const mask = table.length - 1;
    for (let id = 0; id < this.#size; id++) {
      const start = this.#starts[id]!;
      const end = this.#ends[id]!;
      const first = (this.#h1[end]! - Math.imul(this.#h1[start]!, this.#p1[end - start]!)) | 0;
      let slot = this.#slot(first);
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id + 1;
    }
    this.#table = table;
  }

  /** Fibonacci hashing: the low bits of a polynomial hash depend only on the low bits of the characters. */
  #slot(hash: number): number {
    return Math.imul(hash ^ (hash >>> 16), 0x9e3779b1) >>> this.#shift;
  }

  /** Whether span `id` has the content of `[s2, e2)`, whose second hash is `second`. */
  #same(id: number, s2: number, e2: number, second: number): boolean {
    const s1 = this.#starts[id]!;
    const e1 = this.#ends[id]!;
    if (e1 - s1 !== e2 - s2 || this.#second[id] !== second) return false;
    const t = this.#text;
    for (let i = 0; i < e1 - s1; i++) if (t.charCodeAt(s1 + i) !== t.charCodeAt(s2 + i)) return false;
    return true;
  }
}
