/**
 * Dataset decomposition with a variable-sequence-length curriculum (Pouransari et al. 2024,
 * "Dataset Decomposition: Faster LLM Training with Variable Sequence Length Curriculum").
 *
 * Instead of concatenating documents and cutting the stream into `context`-long windows (so most
 * windows span several documents and every step pays attention over `context` tokens), each
 * document is cut into chunks whose lengths are the powers of two of its binary decomposition, and
 * chunks of equal length form buckets. A training step draws all its rows from one bucket, with
 * `tokensPerStep / length` rows, so every step trains on the same number of tokens while attention
 * cost per token follows the chunk length. No row crosses a document boundary.
 */
import { z } from 'zod';
import type { TokenStream } from './data.ts';
import { JobInputError } from './errors.ts';
import { hashSeed, mulberry32 } from './random.ts';

/** A pretrain job's `sequenceLength` field. */
export interface SequenceLengthSpec {
  curriculum: 'decomposition';
  /** The allowed sequence lengths: distinct powers of two, each ≤ `model.context`. */
  buckets: number[];
  /** How many times the short-to-long curriculum repeats over training (the paper's cyclic variant); default 1. */
  cycles?: number;
}

/** Validates a {@link SequenceLengthSpec} (shape only; {@link validateBuckets} checks it against the model). */
export const sequenceLengthSchema = z.strictObject({
  curriculum: z.literal('decomposition'),
  buckets: z.array(z.number().int().positive()).min(1),
  cycles: z.number().int().positive().optional(),
}) satisfies z.ZodType<SequenceLengthSpec>;

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

/**
 * Checks `buckets` against the model and batch: powers of two, distinct, ≤ `context` (the positional
 * table has `context` rows), and dividing the step's `batchSize × context` tokens. Returns them in
 * ascending order; throws a {@link JobInputError} naming `where.buckets[i]`.
 */
export function validateBuckets(buckets: readonly number[], context: number, batchSize: number, where: string): number[] {
  if (buckets.length === 0) throw new JobInputError(`${where}.buckets: give at least one sequence length`);
  const tokensPerStep = batchSize * context;
  buckets.forEach((b, i) => {
    const at = `${where}.buckets[${i}]`;
    if (!isPowerOfTwo(b)) throw new JobInputError(`${at}: ${b} is not a power of two`);
    if (b > context) throw new JobInputError(`${at}: ${b} exceeds model.context ${context} (the positional table has ${context} rows)`);
    if (buckets.indexOf(b) !== i) throw new JobInputError(`${at}: ${b} is listed twice`);
    if (tokensPerStep % b !== 0) {
      throw new JobInputError(`${at}: batchSize × context = ${batchSize} × ${context} = ${tokensPerStep} tokens per step is not a multiple of ${b}`);
    }
  });
  return [...buckets].sort((a, b) => a - b);
}

/**
 * The chunk lengths of an `n`-token document, in document order: as many `maxChunk`-long chunks as
 * fit, then the binary decomposition of the rest, longest first (37 → [32, 4, 1]; with maxChunk 16,
 * 37 → [16, 16, 4, 1]). `maxChunk` must be a power of two.
 */
export function binaryChunks(n: number, maxChunk: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.floor(n / maxChunk); i++) out.push(maxChunk);
  let rest = n % maxChunk;
  for (let bit = maxChunk >> 1; bit >= 1; bit >>= 1) {
    if (rest >= bit) {
      out.push(bit);
      rest -= bit;
    }
  }
  return out;
}

/**
 * One training sequence: the `length` targets at stream positions [start, start + length), all of
 * document `doc`. Its inputs are the tokens one position earlier: a document's first chunk starts
 * from the EOS that precedes the document (the previous one's, or EOS for the very first), which
 * marks a document start exactly as in concatenated training and evaluation; so every token of the
 * document, its EOS included, is a target once and no row sees another document's tokens.
 */
export interface DecomposedSequence {
  doc: number;
  start: number;
  length: number;
}

/** A token stream cut into buckets of equal-length sequences. */
export interface Decomposition {
  /** Bucket lengths, ascending. */
  buckets: number[];
  /** `sequences[i]`: the sequences of length `buckets[i]`, in stream order. */
  sequences: DecomposedSequence[][];
  /** Target tokens in some bucket. */
  keptTokens: number;
  /** Target tokens in chunks shorter than the smallest bucket: never trained on. */
  droppedTokens: number;
}

/**
 * Decomposes every document of `stream` (its tokens plus EOS) with {@link binaryChunks} capped at the
 * largest bucket. A chunk whose length is not a bucket is split into pieces of the largest bucket
 * below it; chunks shorter than the smallest bucket are dropped (counted in `droppedTokens`), as the
 * paper's reference code does. `buckets` must be ascending powers of two (see {@link validateBuckets}).
 *
 * Two deliberate differences from the reference code: its chunks hold 2^k + 1 tokens and do not
 * overlap, so the first token of every later chunk is never a target, whereas here a chunk's inputs
 * start one token back (see {@link DecomposedSequence}) and every kept token is a target exactly once;
 * and the part of a document beyond the largest bucket is cut into largest-bucket pieces, where the
 * reference code can also draw random smaller lengths for it.
 */
export function decompose(stream: TokenStream, buckets: readonly number[]): Decomposition {
  const sequences = buckets.map((): DecomposedSequence[] => []);
  const maxChunk = buckets.at(-1)!;
  let keptTokens = 0;
  let droppedTokens = 0;
  stream.docs.forEach((span, doc) => {
    let at = span.start;
    for (const chunk of binaryChunks(span.end - span.start, maxChunk)) {
      let b = buckets.length - 1;
      while (b >= 0 && buckets[b]! > chunk) b--;
      if (b < 0) droppedTokens += chunk;
      else {
        const len = buckets[b]!;
        for (let piece = 0; piece < chunk / len; piece++) sequences[b]!.push({ doc, start: at + piece * len, length: len });
        keptTokens += chunk;
      }
      at += chunk;
    }
  });
  return { buckets: [...buckets], sequences, keptTokens, droppedTokens };
}

/**
 * The sequence length of every training step (index = 0-based step): the paper's power-of-2 "Grow"
 * curriculum (its reference code's default odds 32, 16, …, 1 from the shortest bucket up), optionally
 * cyclic. Training is split into `cycles` equal cycles. Within a cycle each
 * non-empty bucket gets a quota of steps proportional to its tokens (so every bucket is seen equally
 * often, as in the paper's per-epoch sequence counts), and each step picks a bucket that still has
 * quota with odds ∝ tokens × 2^(K−1−rank), rank 0 being the shortest of the K non-empty buckets. Short
 * sequences therefore dominate the start of a cycle and long ones its end, while all lengths keep
 * appearing throughout. Depends only on (decomposition, steps, seed, cycles), so a resumed run
 * replays the same schedule.
 */
export function curriculumSchedule(d: Decomposition, steps: number, seed: number, cycles = 1): number[] {
  const active = d.buckets.map((len, i) => ({ len, tokens: d.sequences[i]!.length * len })).filter((b) => b.tokens > 0);
  if (active.length === 0) throw new Error('curriculumSchedule: every bucket is empty');
  const K = active.length;
  const total = active.reduce((a, b) => a + b.tokens, 0);
  const odds = active.map((b, rank) => b.tokens * 2 ** (K - 1 - rank));
  const schedule: number[] = [];
  for (let c = 0; c < cycles; c++) {
    const n = Math.floor(steps / cycles) + (c < steps % cycles ? 1 : 0);
    // Largest-remainder apportionment of the cycle's steps by tokens.
    const exact = active.map((b) => (n * b.tokens) / total);
    const quota = exact.map(Math.floor);
    const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
    const short = n - quota.reduce((a, b) => a + b, 0);
    for (let r = 0; r < short; r++) quota[order[r]![1]]!++;
    const rng = mulberry32(hashSeed(seed, c, 0x64644375)); // 'ddCu'
    for (let s = 0; s < n; s++) {
      const live = quota.map((q, i) => (q > 0 ? odds[i]! : 0));
      let u = rng() * live.reduce((a, b) => a + b, 0);
      let pick = live.findIndex((o) => o > 0);
      for (let i = 0; i < K; i++) {
        if (live[i]! === 0) continue;
        pick = i;
        if (u < live[i]!) break;
        u -= live[i]!;
      }
      quota[pick]!--;
      schedule.push(active[pick]!.len);
    }
  }
  return schedule;
}

/** A variable-length training batch: `rows × length` int32 inputs and targets, row-major. */
export interface DecomposedBatch {
  inputs: Int32Array;
  targets: Int32Array;
  rows: number;
  length: number;
  /** The stream document index of each row. */
  docs: number[];
  /** The stream offset of each row's first target token (its targets are [start, start + length)). */
  starts: number[];
}

/**
 * The batch of 0-based step `step`: `tokensPerStep / schedule[step]` sequences drawn uniformly (with
 * replacement) from that length's bucket, seeded by (seed, step) so it is independent of earlier steps.
 */
export function decomposedBatchAt(
  stream: TokenStream,
  d: Decomposition,
  schedule: readonly number[],
  seed: number,
  step: number,
  tokensPerStep: number,
  eosId: number,
): DecomposedBatch {
  const length = schedule[step]!;
  const bucket = d.sequences[d.buckets.indexOf(length)]!;
  const rows = tokensPerStep / length;
  const inputs = new Int32Array(rows * length);
  const targets = new Int32Array(rows * length);
  const docs: number[] = [];
  const starts: number[] = [];
  const rng = mulberry32(hashSeed(seed, step, 0x64644261)); // 'ddBa'
  for (let r = 0; r < rows; r++) {
    const seq = bucket[Math.floor(rng() * bucket.length)]!;
    targets.set(stream.tokens.subarray(seq.start, seq.start + length), r * length);
    if (seq.start === 0) {
      inputs[r * length] = eosId;
      inputs.set(stream.tokens.subarray(0, length - 1), r * length + 1);
    } else {
      inputs.set(stream.tokens.subarray(seq.start - 1, seq.start - 1 + length), r * length);
    }
    docs.push(seq.doc);
    starts.push(seq.start);
  }
  return { inputs, targets, rows, length, docs, starts };
}

/**
 * Forward attention FLOPs per token of a GPT on length-`length` sequences: per layer, the scores
 * QKᵀ and the weighted sum AV each cost `length × dModel` multiply-adds per token (2 FLOPs each),
 * over the full length × length matrix the implementation computes. It grows linearly with the
 * sequence length, which is what decomposition saves; the backward pass scales it by a constant.
 */
export function attentionFlopsPerToken(length: number, layers: number, dModel: number): number {
  return 4 * layers * dModel * length;
}

/** Mean of {@link attentionFlopsPerToken} over a schedule whose steps all hold the same number of tokens. */
export function scheduleAttentionFlopsPerToken(schedule: readonly number[], layers: number, dModel: number): number {
  const meanLength = schedule.reduce((a, b) => a + b, 0) / schedule.length;
  return attentionFlopsPerToken(meanLength, layers, dModel);
}
