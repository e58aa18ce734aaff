/**
 * `consumed.json`: what one checkpoint's training window read, so lineage can answer "which
 * checkpoints saw this document, and which of its tokens". Each checkpoint at step `toStep` records
 * the documents steps [fromStep, toStep) read, with the token ranges of each document (offsets
 * within the document's own tokens, its EOS included) merged into disjoint sorted ranges: compact
 * (ranges, not tokens) and exact.
 *
 * A checkpoint's `fromStep` is the checkpoint it continued from, so the windows the final model
 * actually saw are the chain from the final checkpoint back through `fromStep` to step 0
 * ({@link consumedChain}): a resumed run's redone steps and abandoned branches are not on it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { checkpointDirName } from './checkpoint.ts';

export const CONSUMED_FILE = 'consumed.json';

/** A token range [start, end) within one document. */
export type TokenRange = [number, number];

/** How one checkpoint window read one document. */
export interface ConsumedDoc {
  id: string;
  /** The shard file and 1-based line the document came from. */
  shard: string;
  line: number;
  /** Training sequences (batch rows) that read some of its tokens. */
  windows: number;
  /** The document's tokens those sequences read: disjoint, sorted, adjacent ranges merged. */
  ranges: TokenRange[];
}

/** The content of `consumed.json`. */
export interface ConsumedWindow {
  fromStep: number;
  toStep: number;
  docs: ConsumedDoc[];
}

const rangeSchema = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).refine(([s, e]) => e > s, 'range end must be after its start');

const consumedSchema = z.object({
  fromStep: z.number().int().nonnegative(),
  toStep: z.number().int().positive(),
  docs: z.array(
    z.object({
      id: z.string().min(1),
      shard: z.string(),
      line: z.number().int().positive(),
      windows: z.number().int().positive(),
      // Absent in checkpoints written before ranges were recorded.
      ranges: z.array(rangeSchema).optional(),
    }),
  ),
});

/** Sorts and merges overlapping or adjacent ranges. */
export function mergeRanges(ranges: readonly TokenRange[]): TokenRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: TokenRange[] = [];
  for (const [s, e] of sorted) {
    const last = out.at(-1);
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** Where a document sits in a token stream: [start, end), EOS included. */
interface Span {
  id: string;
  shard: string;
  line: number;
  start: number;
  end: number;
}

/**
 * Tallies what training windows read, per document: window count and token ranges. A window is a
 * token range of a stream; each document it overlaps counts once, with the part it overlaps.
 */
export class ConsumedTally {
  readonly #byId = new Map<string, { doc: Omit<ConsumedDoc, 'ranges'>; ranges: TokenRange[] }>();

  /** One sequence read stream tokens [start, end) of document `span` (clipped to the document). */
  add(span: Span, start: number = span.start, end: number = span.end): void {
    const s = Math.max(start, span.start) - span.start;
    const e = Math.min(end, span.end) - span.start;
    if (e <= s) return;
    const entry = this.#byId.get(span.id);
    if (entry !== undefined) {
      entry.doc.windows++;
      entry.ranges.push([s, e]);
    } else {
      this.#byId.set(span.id, { doc: { id: span.id, shard: span.shard, line: span.line, windows: 1 }, ranges: [[s, e]] });
    }
  }

  /** The tally since the last drain, in first-seen order, ranges merged; starts a new one. */
  drain(): ConsumedDoc[] {
    const out = [...this.#byId.values()].map(({ doc, ranges }) => ({ ...doc, ranges: mergeRanges(ranges) }));
    this.#byId.clear();
    return out;
  }
}

/** Reads and validates one checkpoint's `consumed.json`; null when the checkpoint or file is missing. */
export async function readConsumed(checkpointDir: string): Promise<ConsumedWindow | null> {
  const file = path.join(checkpointDir, CONSUMED_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  const parsed = consumedSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const docs = parsed.data.docs.map((d) => ({ ...d, ranges: d.ranges ?? [] }));
  return { fromStep: parsed.data.fromStep, toStep: parsed.data.toStep, docs };
}

/** The windows a model trained to `finalStep` saw, oldest first, and where the chain broke if it did. */
export interface ConsumedChain {
  windows: ConsumedWindow[];
  /** The step whose checkpoint (or `consumed.json`) is missing or lacks token ranges; null for a complete chain. */
  brokenAt: number | null;
}

/**
 * Walks back from the checkpoint at `finalStep` through each window's `fromStep` to step 0, looking
 * for each checkpoint in `roots` in order (the stage's checkpoint directory, then the one it resumed
 * from if that lies elsewhere). Steps redone after a resume from an earlier checkpoint appear once,
 * in the window of the branch the final model descends from.
 */
export async function consumedChain(roots: string | readonly string[], finalStep: number): Promise<ConsumedChain> {
  const dirs = typeof roots === 'string' ? [roots] : roots;
  const windows: ConsumedWindow[] = [];
  let step = finalStep;
  while (step > 0) {
    let w: ConsumedWindow | null = null;
    for (const root of dirs) if (w === null) w = await readConsumed(path.join(root, checkpointDirName(step)));
    if (w === null || w.toStep !== step || w.fromStep >= w.toStep || w.docs.some((d) => d.ranges.length === 0)) {
      return { windows: windows.reverse(), brokenAt: step };
    }
    windows.push(w);
    step = w.fromStep;
  }
  return { windows: windows.reverse(), brokenAt: null };
}
