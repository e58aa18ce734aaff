/**
 * The `braise/v1` recipe format: one zod schema for the whole document.
 *
 * Pure module (zod only): the loader, the compiler, the API and the CLI all
 * validate through it, so every error has the same path-precise shape.
 */
import { z } from 'zod';
import { datasetSchema } from './stages/ingest.ts';
import { STAGE_SPECS } from './stages/index.ts';

export { datasetSchema };

const posInt = z.number().int().positive();

/** Durations as Temporal accepts them: "30s", "5m", "2h", or milliseconds. */
export const durationSchema = z.union([
  z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'expected a duration such as "30s", "10m" or "2h"'),
  posInt,
]);

export const modelSchema = z
  .object({
    arch: z.literal('gpt').default('gpt'),
    layers: posInt.max(48).default(2),
    dModel: posInt.max(4096).default(64),
    heads: posInt.max(64).default(4),
    context: posInt.max(4096).default(64),
    tokenizer: z.literal('byte').default('byte'),
  })
  .strict()
  .refine((m) => m.dModel % m.heads === 0, { message: 'dModel must be divisible by heads', path: ['heads'] });

const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'expected an identifier: lowercase letters, digits, "_" or "-", starting with a letter');

/** `stage` or `stage.port`, e.g. `clean.rejected`. */
const inputRef = z.string().regex(/^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)?$/, 'expected "<stage-or-dataset>" or "<stage>.<port>"');

/** A task queue name; which queues workers serve is checked by the compiler (braise-cpu, braise-gpu, BRAISE_QUEUES). */
export const queueSchema = z.string().regex(/^braise-[a-z0-9-]{1,64}$/, 'expected a task queue name such as "braise-cpu" or "braise-gpu" ("braise-" then lowercase letters, digits or "-")');

const stageCommon = {
  id: identifier,
  inputs: z.array(inputRef).min(1),
  queue: queueSchema.optional(),
  onFailure: z.enum(['pause', 'fail']).optional(),
  retries: z.number().int().min(0).max(20).optional(),
  timeouts: z
    .object({ startToClose: durationSchema.optional(), heartbeat: durationSchema.optional() })
    .strict()
    .optional(),
};

type Spec = (typeof STAGE_SPECS)[number];
/** The object schema of one kind's stages, with its typed `with` block. */
type Variant<S extends Spec> = z.ZodObject<typeof stageCommon & { kind: z.ZodLiteral<S['kind']>; with: z.ZodPrefault<S['with']> }, z.core.$strict>;
type Variants<T extends readonly Spec[]> = { -readonly [I in keyof T]: T[I] extends Spec ? Variant<T[I]> : never };

/** One object schema per stage kind, discriminated on `kind`. */
function variant(spec: Spec) {
  // An omitted `with:` block means "all defaults".
  return z.object({ ...stageCommon, kind: z.literal(spec.kind), with: (spec.with as z.ZodType).prefault({}) }).strict();
}

/** The registry's kinds, in its order (the order "expected one of" lists them). */
export const stageSchema = z.discriminatedUnion('kind', STAGE_SPECS.map(variant) as unknown as Variants<typeof STAGE_SPECS>);

/** A path a sweep sets in each cell: `stages.<id>.with.<field>[.<field>…]`, `model.<field>` or `seed`. */
export const sweepPathSchema = z
  .string()
  .regex(/^(stages\.[a-z][a-z0-9_-]*\.with\.[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*|model\.[A-Za-z][A-Za-z0-9_]*|seed)$/, 'expected a path such as "stages.<id>.with.<field>", "model.<field>" or "seed"');

/** One `include` / `exclude` entry: values by path, at least one. */
const sweepEntry = z.record(sweepPathSchema, z.unknown()).refine((e) => Object.keys(e).length > 0, 'expected at least one "<path>: <value>" pair');

/** Defaults of a `sweep:` block (README "Sweeps"). */
export const SWEEP_DEFAULTS = { parallelism: 2, regressionThreshold: 0.02, maxParallelism: 16 } as const;

/**
 * A grid of runs of the recipe: the cells of `matrix` (every combination of its values), less those an `exclude`
 * entry matches, plus `include` (as GitHub Actions' matrix: an entry extends every cell it agrees with on the matrix's
 * own paths, or is a cell of its own if it agrees with none). recipe/sweep.ts expands it.
 */
export const sweepSchema = z
  .object({
    matrix: z.record(sweepPathSchema, z.array(z.unknown()).min(1)).default({}),
    include: z.array(sweepEntry).optional(),
    exclude: z.array(sweepEntry).optional(),
    /** Cells running at once. */
    parallelism: z.number().int().min(1).max(SWEEP_DEFAULTS.maxParallelism).default(SWEEP_DEFAULTS.parallelism),
    compare: z
      .object({
        /** `<stageId>/<metric as the stage records it>`, e.g. `eval/perplexity/mean/bits_per_byte`. */
        metric: z.string().regex(/^[a-z][a-z0-9_-]*\/.+$/, 'expected "<stageId>/<metric>", e.g. "eval/perplexity/mean/bits_per_byte"'),
        goal: z.enum(['minimize', 'maximize']).default('minimize'),
        /** The cell every other is measured against (its values, as an `exclude` entry names cells): exactly one must match. */
        baseline: sweepEntry.optional(),
      })
      .strict()
      .optional(),
    /** A scheduled sweep's cell regressed when its metric is worse than the previous report's by more than this relative change. */
    regressionThreshold: z.number().min(0).max(100).default(SWEEP_DEFAULTS.regressionThreshold),
  })
  .strict();

export const recipeSchema = z
  .object({
    apiVersion: z.literal('braise/v1'),
    name: identifier,
    description: z.string().optional(),
    seed: z.number().int().min(0).default(1234),
    model: modelSchema.prefault({}),
    datasets: z.record(identifier, datasetSchema).refine((d) => Object.keys(d).length > 0, 'expected at least one dataset'),
    stages: z.array(stageSchema).min(1),
    onFailure: z.enum(['pause', 'fail']).default('pause'),
    sweep: sweepSchema.optional(),
  })
  .strict();

/** A recipe after parsing: defaults filled in. */
export type Recipe = z.output<typeof recipeSchema>;
/** A recipe as written by a user. */
export type RecipeInput = z.input<typeof recipeSchema>;
export type Stage = Recipe['stages'][number];
export type StageKind = Stage['kind'];
export type ModelConfig = z.output<typeof modelSchema>;
export type DatasetSpec = z.output<typeof datasetSchema>;
