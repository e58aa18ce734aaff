import { describe, expect, it } from 'vitest';
import { buildTokenStream } from '../../../ml/data.ts';
import {
  attentionFlopsPerToken,
  binaryChunks,
  curriculumSchedule,
  decompose,
  decomposedBatchAt,
  scheduleAttentionFlopsPerToken,
  validateBuckets,
} from '../../../ml/decomposition.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';

const tok = byteTokenizer();
/** Documents of known token counts (text + EOS): 37, 200, 16, 5, 64, 100. */
const lengths = [37, 200, 16, 5, 64, 100];
const docs = lengths.map((n, i) => ({
  id: `d${i}`,
  text: String.fromCharCode(97 + i).repeat(n - 1),
  shard: 's.jsonl',
  line: i + 1,
}));
const stream = buildTokenStream(docs, tok);

describe('binary decomposition', () => {
  it('splits a length into its powers of two, longest first, capping chunks at the largest bucket', () => {
    expect(binaryChunks(37, 64)).toEqual([32, 4, 1]);
    expect(binaryChunks(37, 16)).toEqual([16, 16, 4, 1]);
    expect(binaryChunks(200, 64)).toEqual([64, 64, 64, 8]);
    expect(binaryChunks(64, 64)).toEqual([64]);
    for (const n of [1, 2, 3, 100, 1023, 4097]) expect(binaryChunks(n, 256).reduce((a, b) => a + b, 0)).toBe(n);
  });

  it('buckets each document’s chunks, splitting non-bucket lengths and dropping chunks below the smallest bucket', () => {
    const d = decompose(stream, [8, 16, 64]);
    const counts = Object.fromEntries(d.buckets.map((b, i) => [b, d.sequences[i]!.length]));
    // 37 = 32 (→ 2×16) + 4 + 1 (dropped); 200 = 3×64 + 8; 16; 5 (dropped); 64; 100 = 64 + 32 (→ 2×16) + 4 (dropped)
    expect(counts).toEqual({ 8: 1, 16: 2 + 1 + 2, 64: 3 + 1 + 1 });
    expect(d.droppedTokens).toBe(4 + 1 + 5 + 4);
    expect(d.keptTokens + d.droppedTokens).toBe(stream.tokens.length);
    // The chunks of a document tile it in order, starting at its first token.
    const doc0 = d.sequences.flat().filter((s) => s.doc === 0).sort((a, b) => a.start - b.start);
    expect(doc0.map((s) => [s.start, s.length])).toEqual([
      [0, 16],
      [16, 16],
    ]);
  });

  it('never puts two documents in one sequence', () => {
    const d = decompose(stream, [4, 16, 32]);
    for (const s of d.sequences.flat()) {
      const span = stream.docs[s.doc]!;
      expect(s.start).toBeGreaterThanOrEqual(span.start);
      expect(s.start + s.length).toBeLessThanOrEqual(span.end);
    }
    // Every row of every batch: targets inside one document, inputs = [EOS that opens it | its own tokens].
    const schedule = curriculumSchedule(d, 30, 7);
    for (let step = 0; step < 30; step++) {
      const b = decomposedBatchAt(stream, d, schedule, 7, step, 64, tok.eosId);
      for (let r = 0; r < b.rows; r++) {
        const targets = Array.from(b.targets.subarray(r * b.length, (r + 1) * b.length));
        const inputs = Array.from(b.inputs.subarray(r * b.length, (r + 1) * b.length));
        const text = docs[b.docs[r]!]!.text;
        const letter = text.charCodeAt(0);
        // A document is one repeated letter, then EOS: nothing from another document can hide here.
        expect(targets.every((t) => t === letter || t === tok.eosId)).toBe(true);
        expect(targets.slice(0, -1).every((t) => t === letter)).toBe(true);
        expect(inputs.slice(1).every((t) => t === letter)).toBe(true);
        expect([letter, tok.eosId]).toContain(inputs[0]);
        expect(inputs.slice(1)).toEqual(targets.slice(0, -1));
      }
    }
  });
});

describe('variable-length batches and the curriculum', () => {
  const d = decompose(stream, [4, 8, 16, 32, 64]);

  it('hold the same number of tokens at every step', () => {
    const schedule = curriculumSchedule(d, 50, 3);
    const lengthsSeen = new Set<number>();
    for (let step = 0; step < 50; step++) {
      const b = decomposedBatchAt(stream, d, schedule, 3, step, 8 * 64, tok.eosId);
      expect(b.rows * b.length).toBe(8 * 64);
      expect(b.inputs.length).toBe(8 * 64);
      expect(b.docs).toHaveLength(b.rows);
      lengthsSeen.add(b.length);
    }
    expect(lengthsSeen.size).toBeGreaterThan(2);
    // Pure in (seed, step).
    expect(decomposedBatchAt(stream, d, schedule, 3, 17, 512, tok.eosId)).toEqual(decomposedBatchAt(stream, d, schedule, 3, 17, 512, tok.eosId));
  });

  it('goes from short to long within each cycle, giving each bucket steps in proportion to its tokens', () => {
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const steps = 300;
    const one = curriculumSchedule(d, steps, 11);
    expect(one).toHaveLength(steps);
    expect(mean(one.slice(0, 100))).toBeLessThan(mean(one.slice(100, 200)));
    expect(mean(one.slice(100, 200))).toBeLessThan(mean(one.slice(200)));
    expect(one.slice(-10).every((l) => l === 64)).toBe(true);
    const tokens = d.buckets.map((b, i) => b * d.sequences[i]!.length);
    const total = tokens.reduce((a, b) => a + b, 0);
    d.buckets.forEach((b, i) => expect(Math.abs(one.filter((l) => l === b).length - (steps * tokens[i]!) / total)).toBeLessThanOrEqual(1));

    const cyclic = curriculumSchedule(d, steps, 11, 3);
    for (let c = 0; c < 3; c++) {
      const cycle = cyclic.slice(c * 100, (c + 1) * 100);
      expect(mean(cycle.slice(0, 50))).toBeLessThan(mean(cycle.slice(50)));
    }
    expect(curriculumSchedule(d, steps, 11, 3)).toEqual(cyclic);
  });

  it('costs fewer attention FLOPs per token than concat-and-chunk at the context length', () => {
    const schedule = curriculumSchedule(d, 100, 1);
    const dd = scheduleAttentionFlopsPerToken(schedule, 2, 64);
    const cc = attentionFlopsPerToken(64, 2, 64);
    expect(cc).toBe(4 * 2 * 64 * 64);
    expect(dd).toBeLessThan(cc);
    expect(dd).toBeCloseTo(4 * 2 * 64 * (schedule.reduce((a, b) => a + b, 0) / 100), 6);
  });

  it('validates buckets against the model with messages naming the entry', () => {
    expect(validateBuckets([32, 8, 16], 32, 4, 'job.sequenceLength')).toEqual([8, 16, 32]);
    expect(() => validateBuckets([8, 64], 32, 4, 'job.sequenceLength')).toThrow('job.sequenceLength.buckets[1]: 64 exceeds model.context 32');
    expect(() => validateBuckets([8, 12], 32, 4, 'job.sequenceLength')).toThrow('job.sequenceLength.buckets[1]: 12 is not a power of two');
    expect(() => validateBuckets([8, 8], 32, 4, 'job.sequenceLength')).toThrow('job.sequenceLength.buckets[1]: 8 is listed twice');
    expect(() => validateBuckets([16], 24, 1, 'job.sequenceLength')).toThrow('batchSize × context = 1 × 24 = 24 tokens per step is not a multiple of 16');
  });
});
