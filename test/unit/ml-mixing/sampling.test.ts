import { describe, expect, it } from 'vitest';
import { buildTokenStream, ConsumedCounter } from '../../../ml/data.ts';
import { mixtureBatchAt, systematicDomains } from '../../../ml/mixing/sampling.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';

const tok = byteTokenizer();
const streamOf = (letter: string, n: number) =>
  buildTokenStream(
    Array.from({ length: n }, (_, i) => ({ id: `${letter}${i}`, text: letter.repeat(20 + i), shard: 's', line: i + 1 })),
    tok,
  );

describe('systematic domain sampling', () => {
  it('gives each domain within one row of rows × weight, skipping zero weights', () => {
    const weights = [0.55, 0, 0.3, 0.15];
    for (const u of [0, 0.13, 0.5, 0.999]) {
      const rows = systematicDomains(weights, 16, u);
      expect(rows).toHaveLength(16);
      weights.forEach((w, d) => expect(Math.abs(rows.filter((r) => r === d).length - 16 * w)).toBeLessThan(1));
    }
    expect(systematicDomains([1, 0], 5, 0.7)).toEqual([0, 0, 0, 0, 0]);
    expect(systematicDomains([0, 1], 3, 0)).toEqual([1, 1, 1]);
  });

  it('matches the weights on average over many draws', () => {
    const weights = [0.07, 0.93];
    let first = 0;
    for (let i = 0; i < 1000; i++) first += systematicDomains(weights, 4, (i * 0.618034) % 1).filter((d) => d === 0).length;
    expect(first / 4000).toBeCloseTo(0.07, 2);
  });
});

describe('mixture batches', () => {
  const streams = [streamOf('a', 10), streamOf('b', 10)];

  it('draws every row from its domain’s stream, next-token shifted, as a pure function of (weights, seed, step)', () => {
    const b = mixtureBatchAt(streams, [0.25, 0.75], 5, 3, 8, 16);
    expect(b.rowDomains.filter((d) => d === 0)).toHaveLength(2);
    b.rowDomains.forEach((d, r) => {
      const [start, end] = b.windows[r]!;
      expect(end - start).toBe(17);
      const src = streams[d]!.tokens;
      expect(Array.from(b.inputs.subarray(r * 16, (r + 1) * 16))).toEqual(Array.from(src.subarray(start, start + 16)));
      expect(Array.from(b.targets.subarray(r * 16, (r + 1) * 16))).toEqual(Array.from(src.subarray(start + 1, end)));
      const letter = d === 0 ? 97 : 98;
      expect(Array.from(b.inputs.subarray(r * 16, (r + 1) * 16)).every((t) => t === letter || t === tok.eosId)).toBe(true);
    });
    expect(mixtureBatchAt(streams, [0.25, 0.75], 5, 3, 8, 16)).toEqual(b);
    expect(mixtureBatchAt(streams, [0.25, 0.75], 5, 4, 8, 16).windows).not.toEqual(b.windows);
  });

  it('tallies consumed documents per window, with the token ranges each read, merged', () => {
    const counter = new ConsumedCounter();
    const s = streams[0]!;
    const len0 = s.docs[0]!.end - s.docs[0]!.start;
    counter.addWindow(s, s.docs[1]!.start - 2, s.docs[1]!.start + 3); // overlaps docs 0 and 1
    counter.addWindow(s, s.docs[1]!.start, s.docs[1]!.start + 1);
    expect(counter.drain()).toEqual([
      { id: 'a0', shard: 's', line: 1, windows: 1, ranges: [[len0 - 2, len0]] },
      { id: 'a1', shard: 's', line: 2, windows: 2, ranges: [[0, 3]] },
    ]);
    expect(counter.drain()).toEqual([]);
  });
});
