/**
 * `filter`: datatrove's quality rules, license allow-list, decontamination, exact and MinHash dedup and a
 * learned quality classifier (activities/filter/). Its rules' options live next to it (filter-rules.ts).
 */
import { z } from 'zod';
import { classifierRefs, classifierSchema, posInt, refSchema } from './common.ts';
import { ruleOptionSchemas, type RuleName } from './filter-rules.ts';
import type { StageSpec } from './spec.ts';

const RULE_NAMES = Object.keys(ruleOptionSchemas) as [RuleName & string, ...Array<RuleName & string>];

/** A filter rule: `gopher-quality`, or `{ gopher-quality: { minDocWords: 20 } }` to override its thresholds. */
const ruleEntry = z.union([
  z.enum(RULE_NAMES),
  z
    .object(Object.fromEntries(RULE_NAMES.map((n) => [n, ruleOptionSchemas[n].optional()])) as unknown as Record<RuleName, z.ZodOptional<z.ZodType>>)
    .strict()
    .refine((o) => Object.keys(o).length === 1, 'expected exactly one rule name as the key'),
]);

export const filterWith = z
  .object({
    rules: z.array(ruleEntry).default(['gopher-quality', 'gopher-repetition']),
    license: z.object({ allow: z.array(z.string().min(1)).min(1).optional() }).strict().optional(),
    decontaminate: z.object({ against: z.array(refSchema).min(1), ngram: posInt.max(50).default(13) }).strict().optional(),
    classifier: classifierSchema.optional(),
    dedup: z
      .object({
        exact: z.boolean().default(true),
        minhash: z
          .object({
            ngram: posInt.default(5),
            buckets: posInt.default(14),
            hashesPerBucket: posInt.default(8),
            seed: z.number().int().default(1),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ exact: true }),
  })
  .strict();

export type FilterWith = z.output<typeof filterWith>;

export const filterStage = {
  kind: 'filter',
  summary: 'quality rules, license allow-list, decontamination, exact and MinHash dedup, a learned quality classifier',
  with: filterWith,
  settings: filterWith,
  inputs: { accepts: ['dataset'], requires: 'dataset' },
  roles: { eval: 'dataset', high: 'dataset', low: 'dataset' },
  refs: (w: FilterWith) => [
    ...(w.decontaminate?.against ?? []).map((ref, j) => ({ ref, role: 'eval', path: `decontaminate.against[${j}]` })),
    ...classifierRefs(w.classifier),
  ],
  ports: { kept: 'dataset', rejected: 'dataset' },
  queue: 'braise-cpu',
  long: false,
  available: true,
  implVersion: '1',
  headline: ['kept', 'rejected'],
} as const satisfies StageSpec<'filter', typeof filterWith>;
