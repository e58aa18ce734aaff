/**
 * Small seeded PRNGs. Everything random in training (initial weights, batch offsets) comes from here,
 * never from tf.random*, so results depend only on the seed and not on the backend or on call order
 * elsewhere in the process.
 */

/** A generator of uniform floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: a 32-bit-state generator, good enough for init and sampling. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Mixes any number of non-negative integers (each below 2^53) into one 32-bit seed. Used as
 * `hashSeed(seed, step)` so that the batch of a step depends on nothing but (seed, step); mixing
 * avoids the overflow of `seed * 1e6 + step` and the correlation of nearby seeds.
 */
export function hashSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    if (!Number.isSafeInteger(p)) throw new Error(`hashSeed: expected safe integers, got ${p}`);
    const lo = p >>> 0;
    const hi = Math.floor(Math.abs(p) / 4294967296) >>> 0;
    h = fmix32((h ^ lo) + 0x7f4a7c15);
    h = fmix32((h ^ hi) + 0x165667b1);
  }
  return h;
}

/** Fills `n` standard-normal floats (Box–Muller) scaled by `std`. */
export function normalArray(rng: Rng, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = Math.max(rng(), 1e-12);
    const u2 = rng();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2) * std;
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2) * std;
  }
  return out;
}
