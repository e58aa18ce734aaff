import { describe, expect, it } from 'vitest';
import { candidateProbability, MinHashDeduper } from '../../../activities/filter/minhash.ts';
import { loadBrown } from '../filter/brown.ts';

/** mulberry32: a small seeded PRNG, so every synthetic document is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `n` distinct made-up lowercase words (letters only, so datatrove's normalization leaves them alone). */
function words(next: () => number, n: number, avoid: Set<string>): string[] {
  const out: string[] = [];
  while (out.length < n) {
    const len = 5 + Math.floor(next() * 5);
    let w = '';
    for (let i = 0; i < len; i++) w += String.fromCharCode(97 + Math.floor(next() * 26));
    if (avoid.has(w)) continue;
    avoid.add(w);
    out.push(w);
  }
  return out;
}

/**
 * Two documents whose 5-gram sets have Jaccard similarity exactly `shared / (shared + 2·own)`: a common run of
 * `shared + 4` words (`shared` 5-grams), then `own` words of their own (`own` 5-grams each, the 4 that straddle
 * the boundary included). All words are distinct, so no 5-gram repeats.
 */
function pair(seed: number, shared: number, own: number): [string, string] {
  const next = rng(seed);
  const used = new Set<string>();
  const common = words(next, shared + 4, used);
  return [[...common, ...words(next, own, used)].join(' '), [...common, ...words(next, own, used)].join(' ')];
}

function jaccard(a: Uint32Array, b: Uint32Array): number {
  const sa = new Set(a);
  const inter = [...b].filter((x) => sa.has(x)).length;
  return inter / (sa.size + b.length - inter);
}

describe('candidateProbability', () => {
  it("is datatrove's 1 - (1 - s^r)^b (its docs: s = 0.8 with 14 bands of 8 gives 0.924)", () => {
    expect(candidateProbability(0.8, 8, 14)).toBeCloseTo(0.924, 3);
    expect(candidateProbability(0, 8, 14)).toBe(0);
    expect(candidateProbability(1, 8, 14)).toBe(1);
    expect(candidateProbability(0.5, 1, 1)).toBe(0.5);
    expect(() => candidateProbability(1.5, 8, 14)).toThrow(/s must be in \[0, 1\]/);
    expect(() => candidateProbability(0.5, 0, 14)).toThrow(/positive integers/);
  });
});

describe('MinHashDeduper', () => {
  const brown = loadBrown().slice(0, 40);

  it('catches an identical document and names the first one', () => {
    const d = new MinHashDeduper();
    expect(d.add('a', brown[0]!.text)).toBeNull();
    expect(d.add('b', brown[1]!.text)).toBeNull();
    expect(d.add('c', brown[0]!.text)).toBe('a');
    // Case, spacing, punctuation and numbers are normalized away before shingling.
    const noisy = brown[1]!.text.toUpperCase().replace(/ /g, '  ').replace(/[.,]/g, ' ').replace(/\d/g, '7');
    expect(d.add('d', noisy)).toBe('b');
  });

  it('catches documents that differ in one word out of 300 (default 14 x 8 bands)', () => {
    const base = brown.map((doc) => doc.text.split(' ').slice(0, 300));
    let caught = 0;
    base.forEach((w, i) => {
      const d = new MinHashDeduper({ seed: i });
      const edited = [...w];
      edited[150] = 'zebra';
      d.add('original', w.join(' '));
      if (d.add('edited', edited.join(' ')) === 'original') caught++;
    });
    // J ≈ 290/300 ⇒ P(caught) = 1 - (1 - 0.967^8)^14 > 0.999 for each of the 40 pairs.
    expect(caught).toBe(base.length);
  });

  it('keeps unrelated Brown documents', () => {
    const d = new MinHashDeduper();
    for (const doc of brown) expect(d.add(doc.id, doc.text), doc.id).toBeNull();
    expect(d.indexSize).toBe(brown.length * 14);
  });

  it('joins a chain A≈B≈C into its first document even when C alone does not match A (union-find, as datatrove)', () => {
    // Overlapping 300-word windows of one text, 30 words apart: neighbours share ~82% of their 5-grams, A and C ~66%.
    const w = brown[5]!.text.split(' ');
    const [a, b, c] = [0, 30, 60].map((from) => w.slice(from, from + 300).join(' ')) as [string, string, string];
    const direct = new MinHashDeduper();
    direct.add('A', a);
    expect(direct.add('C', c)).toBeNull();
    const chain = new MinHashDeduper();
    expect(chain.add('A', a)).toBeNull();
    expect(chain.add('B', b)).toBe('A');
    expect(chain.add('C', c)).toBe('A');
  });

  it('keeps documents shorter than one shingle and gives them an all-0xFFFFFFFF signature', () => {
    const d = new MinHashDeduper();
    expect(d.add('x', 'four words only here')).toBeNull();
    expect(d.add('y', 'four words only here')).toBeNull();
    expect([...d.signature('')]).toEqual(new Array(112).fill(0xffffffff));
  });

  it('rejects bad parameters by name', () => {
    expect(() => new MinHashDeduper({ buckets: 0 })).toThrow(/buckets must be a positive integer/);
    expect(() => new MinHashDeduper({ seed: -1 })).toThrow(/seed must be an integer in \[0, 2\^32\)/);
  });
});

describe('property: collision rate follows 1 - (1 - s^r)^b', () => {
  const TRIALS = 800;
  // [shared, own] 5-grams giving J = shared / (shared + 2·own) exactly.
  const similarities: Array<[number, number, number]> = [
    [0.3, 12, 14],
    [0.5, 20, 10],
    [0.7, 28, 6],
    [0.8, 32, 4],
    [0.9, 36, 2],
  ];
  const configs = [
    { r: 2, b: 4 },
    { r: 4, b: 8 },
    { r: 8, b: 2 },
  ];

  it.each(similarities)(`J = %s: empirical rate within 4 binomial sigma over ${TRIALS} random pairs and seeds`, (s, shared, own) => {
    const hits = configs.map(() => 0);
    for (let t = 0; t < TRIALS; t++) {
      const [x, y] = pair(t * 7919 + shared, shared, own);
      configs.forEach(({ r, b }, k) => {
        const d = new MinHashDeduper({ buckets: b, hashesPerBucket: r, seed: t });
        if (t === 0) expect(jaccard(d.shingles(x), d.shingles(y))).toBeCloseTo(s, 12);
        d.add('x', x);
        if (d.add('y', y) === 'x') hits[k]!++;
      });
    }
    configs.forEach(({ r, b }, k) => {
      const p = candidateProbability(s, r, b);
      const sigma = Math.sqrt(Math.max(p * (1 - p), 1e-4) / TRIALS);
      const rate = hits[k]! / TRIALS;
      console.log(`MinHash LSH, J=${s} r=${r} b=${b}: collided ${rate.toFixed(4)}, predicted ${p.toFixed(4)}`);
      expect(Math.abs(rate - p), `r=${r} b=${b}: rate ${rate} vs ${p.toFixed(4)} (4 sigma = ${(4 * sigma).toFixed(4)})`).toBeLessThanOrEqual(4 * sigma);
    });
  });
});
