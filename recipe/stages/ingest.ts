/**
 * `ingest`: not a kind recipes write in `stages:`, but the node the compiler makes for each dataset a stage
 * reads (`datasets:` entries). Declared like the stage kinds so its activity, queue and headline come
 * from the same registry; its settings are the dataset spec.
 */
import { z } from 'zod';
import { posInt } from './common.ts';
import type { StageSpec } from './spec.ts';

const sourceSchema = z
  .string()
  .regex(/^(builtin|file|artifact):.+$/, 'expected "builtin:<name>", "file:<path>.jsonl[.gz]" or "artifact:<sha256>"');

/** A recipe's `datasets:` entry. */
export const datasetSchema = z
  .object({
    source: sourceSchema,
    genres: z.array(z.string().min(1)).min(1).optional(),
    /** builtin:spam-assassin: which mail groups (easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2). */
    groups: z.array(z.string().min(1)).min(1).optional(),
    limit: posInt.optional(),
    /** builtin:tasks: which tasks (addition, subtraction, reverse, sort; default all). */
    tasks: z.array(z.string().min(1)).min(1).optional(),
    /** builtin:tasks: train or heldout (disjoint by prompt). */
    split: z.enum(['train', 'heldout']).optional(),
    /** builtin:tasks: the fewest and most digits of addition and subtraction operands (default [2, 4]). */
    digits: z
      .tuple([z.number().int().min(1).max(9), z.number().int().min(1).max(9)])
      .refine(([lo, hi]) => lo <= hi, 'expected [fewest, most] with fewest ≤ most')
      .optional(),
    /** builtin:tasks: the generator's seed (default 1). */
    seed: z.number().int().min(0).optional(),
    /** builtin:tasks and file: rows: answer ({prompt, answer}), sft ({prompt, response}) or preference ({prompt, chosen, rejected}) or multiple_choice ({prompt, choices, answer}). */
    shape: z.enum(['answer', 'sft', 'preference', 'multiple_choice']).optional(),
  })
  .strict();

export const ingestStage = {
  kind: 'ingest',
  summary: 'loads a recipe dataset (builtin:, file:, artifact:) into a dataset artifact',
  with: datasetSchema,
  settings: datasetSchema,
  inputs: { accepts: [] },
  roles: {},
  ports: { data: 'dataset' },
  queue: 'braise-cpu',
  long: false,
  available: true,
  implVersion: '1',
  headline: ['docs'],
} as const satisfies StageSpec<'ingest', typeof datasetSchema>;
