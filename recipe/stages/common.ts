/** Zod pieces several kinds' `with` blocks share: number ranges, references, the learned quality classifier. PURE. */
import { z } from 'zod';
import type { StageContext } from './spec.ts';

export const pos = z.number().positive();
export const posInt = z.number().int().positive();
export const frac = z.number().min(0).max(1);
export const lr = z.number().positive().max(1);

/**
 * How a final answer is taken from generated text (ml/posttrain/verifier.ts extractAnswer), for evaluate's
 * generate tasks and rlvr's verifier: the last number (open-instruct's GSM8K verifier), the text after
 * `Answer:`, or a regex's first capture group (or whole match) of its last match.
 */
export const answerExtraction = z.union([z.enum(['last_number', 'answer_prefix']), z.object({ regex: z.string().min(1).max(500) }).strict()], {
  error: 'expected "last_number", "answer_prefix" or { regex: "<pattern>" } (its first capture group, or the whole match, of the last match)',
});

/** Is `regex` one that `new RegExp(regex, 'g')` (what extractAnswer builds) accepts? The error's message when not. */
export function regexProblem(regex: string): string | null {
  try {
    new RegExp(regex, 'g');
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A reference to a recipe dataset or stage output (`name` or `stage.port`). */
export const refSchema = z.string().regex(/^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)?$/, 'expected "<dataset-or-stage>" or "<stage>.<port>"');

/** The learned quality classifier, trained inside the stage on examples the recipe marks high and low quality. */
export const classifierSchema = z
  .object({
    high: z.array(refSchema).min(1),
    low: z.array(refSchema).min(1),
    threshold: frac.optional(),
    keepTopFraction: z.number().gt(0).max(1).optional(),
    epochs: posInt.max(100).default(5),
    seed: z.number().int().default(1),
  })
  .strict()
  .refine((c) => c.threshold === undefined || c.keepTopFraction === undefined, 'give threshold or keepTopFraction, not both');

/** The `high` and `low` references of a classifier block, as role references. */
export function classifierRefs(classifier: { high: string[]; low: string[] } | undefined): Array<{ ref: string; role: string; path: string }> {
  if (!classifier) return [];
  return [
    ...classifier.high.map((ref, j) => ({ ref, role: 'high', path: `classifier.high[${j}]` })),
    ...classifier.low.map((ref, j) => ({ ref, role: 'low', path: `classifier.low[${j}]` })),
  ];
}

/**
 * What the kinds that tune a model declare alike: a model (and datasets) in, a model out, trained on the GPU
 * queue with heartbeats and a memory estimate. Spread into their specs; a kind that differs says so after it.
 */
export const TUNES_A_MODEL = {
  inputs: { accepts: ['model', 'dataset'], requires: 'model' },
  roles: {},
  ports: { model: 'model' },
  queue: 'braise-gpu',
  long: true,
  trains: true,
} as const;

/** The stage id a model reference (`base` or `base.model`) names. */
export function stageOf(ref: string): string {
  return ref.split('.')[0]!;
}

/**
 * The domains the documents of `ref` carry, when the recipe alone says: a dataset's known domains, or a filter's
 * output (it keeps each document's domain) of inputs whose domains are known; undefined otherwise.
 */
export function domainsOf(ref: string, ctx: StageContext, depth = 0): Set<string> | undefined {
  const id = stageOf(ref);
  const known = ctx.datasetDomains?.(id);
  if (known !== undefined) return new Set(known);
  const stage = ctx.stageNamed?.(id);
  if (stage === undefined || depth > 32 || (stage.kind !== 'filter' && stage.kind !== 'pretrain')) return undefined;
  const out = new Set<string>();
  for (const input of stage.inputs) {
    const d = domainsOf(input, ctx, depth + 1);
    if (d === undefined) return undefined;
    for (const name of d) out.add(name);
  }
  return out;
}
