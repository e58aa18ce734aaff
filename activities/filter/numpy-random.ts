/**
 * Just enough of NumPy's legacy `np.random.RandomState` to draw the same 64-bit integers as datatrove's MinHash
 * parameters: `RandomState(seed).randint(low, high, dtype=np.uint64, size=n)` for ranges wider than 32 bits.
 * Verified against NumPy by the MinHash golden test.
 */

/** A 64-bit unsigned integer as two 32-bit halves (`hi * 2^32 + lo`), both in [0, 2^32). */
export interface U64 {
  hi: number;
  lo: number;
}

/** The MT19937 generator as NumPy seeds it from an integer (`init_genrand`). */
export class MT19937 {
  readonly #mt = new Uint32Array(624);
  #i = 624;

  /** `seed` must be an integer in [0, 2^32), as NumPy requires of an integer seed. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`MT19937 seed must be an integer in [0, 2^32), got ${seed}`);
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
  }

  /** The next 32-bit output. */
  next32(): number {
    const mt = this.#mt;
    if (this.#i >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.#i = 0;
    }
    let y = mt[this.#i++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/**
 * `RandomState.randint(low, high, dtype=np.uint64, size=n)` for `high - 1 - low >= 2^32` (NumPy's masked
 * rejection sampling over `next_uint64 = next32 << 32 | next32`). `low` is a small integer; `high` is given as
 * halves. Returns n values in [low, high).
 */
export function randintU64(gen: MT19937, low: number, high: U64, n: number): U64[] {
  // rng = high - 1 - low, the largest offset; low is small, so only the low half can borrow.
  let rngLo = high.lo - 1 - low;
  let rngHi = high.hi;
  if (rngLo < 0) {
    rngLo += 2 ** 32;
    rngHi -= 1;
  }
  if (rngHi <= 0) throw new RangeError('randintU64 needs a range wider than 32 bits');
  // Mask: every bit up to rng's highest set bit (all of the low half, since rngHi > 0).
  const maskHi = 2 ** (32 - Math.clz32(rngHi)) - 1;
  const out: U64[] = [];
  while (out.length < n) {
    const hi = (gen.next32() & maskHi) >>> 0;
    const lo = gen.next32();
    if (hi > rngHi || (hi === rngHi && lo > rngLo)) continue;
    const sum = lo + low;
    out.push(sum >= 2 ** 32 ? { hi: hi + 1, lo: sum - 2 ** 32 } : { hi, lo: sum });
  }
  return out;
}
