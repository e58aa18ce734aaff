import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MinHashDeduper } from '../../../activities/filter/minhash.ts';
import { MT19937, randintU64 } from '../../../activities/filter/numpy-random.ts';
import { PUNCTUATION_SET, TERMINAL_PUNCTUATION } from '../../../activities/filter/rules/text/punctuation.ts';
import { sha1Hash32 } from '../../../activities/filter/sha1-hash32.ts';
import { DATATROVE_PUNCTUATION, simplifyText } from '../../../activities/filter/simplify-text.ts';
import { loadBrown } from '../filter/brown.ts';

/** datatrove 0.10.1's own shingles and signatures (regenerate with minhash-datatrove.py). */
interface Golden {
  datatrove: string;
  texts: Record<string, string | null>;
  cases: Array<{
    config: { ngram: number; buckets: number; hashesPerBucket: number; seed: number };
    text: string;
    simplified: string;
    shingles: number[] | { count: number; first: number[] };
    signature: number[] | null;
  }>;
}
const golden = JSON.parse(readFileSync(new URL('./minhash-datatrove.json', import.meta.url), 'utf8')) as Golden;
const brown = new Map(loadBrown().map((d) => [`brown/${d.id}`, d.text]));
const textOf = (name: string): string => golden.texts[name] ?? brown.get(name)!;

describe(`MinHash signatures equal datatrove ${golden.datatrove}'s (precision 32, sha1)`, () => {
  it.each(golden.cases.map((c) => [`${c.text}, seed ${c.config.seed}, ${c.config.buckets}x${c.config.hashesPerBucket}`, c] as const))('%s', (_, c) => {
    const text = textOf(c.text);
    expect(simplifyText(text).slice(0, 200)).toBe(c.simplified);
    const d = new MinHashDeduper(c.config);
    const shingles = [...d.shingles(text)].sort((a, b) => a - b);
    if (Array.isArray(c.shingles)) expect(shingles).toEqual(c.shingles);
    else {
      expect(shingles.length).toBe(c.shingles.count);
      expect(shingles.slice(0, 20)).toEqual(c.shingles.first);
    }
    const sig = [...d.signature(text)];
    expect(sig).toEqual(c.signature ?? new Array<number>(c.config.buckets * c.config.hashesPerBucket).fill(0xffffffff));
  });
});

describe('MinHash building blocks', () => {
  it('sha1Hash32 is the first 4 digest bytes of SHA-1, little-endian, for any length', () => {
    for (const len of [0, 1, 55, 56, 63, 64, 65, 119, 120, 200]) {
      const bytes = Uint8Array.from({ length: len }, (_, i) => (i * 37 + len) & 0xff);
      expect(sha1Hash32(bytes), `length ${len}`).toBe(createHash('sha1').update(bytes).digest().readUInt32LE(0));
    }
  });

  it('draws the same parameters as NumPy RandomState(1).randint(1, 2**61 - 1, dtype=uint64)', () => {
    // NumPy: np.random.RandomState(1).randint(1, np.uint64(2**61-1), dtype=np.uint64, size=2).tolist()
    const [a, b] = randintU64(new MT19937(1), 1, { hi: 0x1fffffff, lo: 0xffffffff }, 2);
    expect(BigInt(a!.hi) * 2n ** 32n + BigInt(a!.lo)).toBe(775169054918279404n);
    expect(BigInt(b!.hi) * 2n ** 32n + BigInt(b!.lo)).toBe(1758426461858698313n);
  });

  it("simplify_text's punctuation is datatrove PUNCTUATION: with TERMINAL_PUNCTUATION it makes the rules' PUNCTUATION_SET", () => {
    const union = new Set([...DATATROVE_PUNCTUATION, ...TERMINAL_PUNCTUATION]);
    expect([...union].sort()).toEqual([...PUNCTUATION_SET].sort());
  });
});
