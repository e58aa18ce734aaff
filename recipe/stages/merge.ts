/**
 * `merge`: combines models' weights without training (activities/merge/, the math in ml/merge/): mergekit's
 * linear, slerp, task arithmetic, TIES and DARE. Each method takes only its own parameters (another method's
 * is refused with its path, so a typo never silently does nothing); {@link mergeSettings} fills each one's
 * defaults, mergekit's, at compile time. `base` is a reference to a model, an input of its own role, so it is
 * part of the DAG and the cache key; `weights` are keyed by the stage ids of the models in `inputs:`. PURE.
 */
import { z } from 'zod';
import { frac, refSchema } from './common.ts';
import type { StageSpec, WithIssue } from './spec.ts';

export const MERGE_METHODS = ['linear', 'slerp', 'task-arithmetic', 'ties', 'dare'] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];

const finite = z.number().refine(Number.isFinite, 'expected a finite number');

export const mergeWith = z
  .object({
    method: z.enum(MERGE_METHODS).default('linear'),
    /** The model task vectors are taken from (task-arithmetic, ties, dare): a stage (`sft`) or its port (`sft.model`). */
    base: refSchema.optional(),
    /** Per-model weights by the stage id of each model in `inputs:`; a model not named weighs 1. */
    weights: z.record(z.string(), finite).optional(),
    /** slerp: 0 gives the first input, 1 the second. */
    t: frac.optional(),
    /** Scales the merged task vector (mergekit's `lambda`). */
    lambda: finite.optional(),
    /** The fraction of each task vector's entries kept (ties: the largest by magnitude; dare: at random). */
    density: z.number().gt(0).max(1).optional(),
    /** dare: rescale what is kept to the task vector's L1 norm (mergekit's `rescale`). */
    rescale: z.boolean().optional(),
    /** dare: keep only entries agreeing with the weighted majority sign, as ties does (mergekit's dare_ties). */
    signConsensus: z.boolean().optional(),
    /** Divide by the sum of the weights (ties: of the weights of the entries kept). */
    normalize: z.boolean().optional(),
  })
  .strict();

export type MergeWith = z.output<typeof mergeWith>;
type Param = Exclude<keyof MergeWith, 'method'>;

/** Each method's parameters and their defaults (mergekit 0.1.5's, `merge_methods/registry.py`); `base` is required where listed. */
const PARAMS: Record<MergeMethod, Partial<Record<Param, unknown>>> = {
  linear: { weights: {}, normalize: true },
  slerp: { t: 0.5 },
  'task-arithmetic': { base: undefined, weights: {}, lambda: 1, normalize: false },
  ties: { base: undefined, weights: {}, density: 1, lambda: 1, normalize: true },
  dare: { base: undefined, weights: {}, density: 1, rescale: true, signConsensus: false, lambda: 1, normalize: false },
};

/** The methods that merge task vectors from a base model. */
export function needsBase(method: MergeMethod): boolean {
  return 'base' in PARAMS[method];
}

const weightsOut = z.record(z.string(), z.number());
const densityOut = z.number().gt(0).max(1);

/** The settings a merge runs with, one shape per method: only its own parameters, each with its default. */
const resolvedMerge = z.union([
  z.object({ method: z.literal('linear'), weights: weightsOut, normalize: z.boolean() }).strict(),
  z.object({ method: z.literal('slerp'), t: frac }).strict(),
  z.object({ method: z.literal('task-arithmetic'), base: refSchema, weights: weightsOut, lambda: z.number(), normalize: z.boolean() }).strict(),
  z.object({ method: z.literal('ties'), base: refSchema, weights: weightsOut, density: densityOut, lambda: z.number(), normalize: z.boolean() }).strict(),
  z
    .object({
      method: z.literal('dare'),
      base: refSchema,
      weights: weightsOut,
      density: densityOut,
      rescale: z.boolean(),
      signConsensus: z.boolean(),
      lambda: z.number(),
      normalize: z.boolean(),
    })
    .strict(),
]);

/**
 * `with` plus the method's defaults; parameters of other methods are dropped (the compiler has refused them
 * already). A missing base stays missing, so the activity's own parse refuses a plan that comes without one.
 */
export const mergeSettings = mergeWith
  .transform((w) => {
    const out: Record<string, unknown> = { method: w.method };
    for (const [param, fallback] of Object.entries(PARAMS[w.method])) {
      const value = w[param as Param] ?? fallback;
      if (value !== undefined) out[param] = value;
    }
    return out;
  })
  .pipe(resolvedMerge);

export type MergeSettings = z.output<typeof mergeSettings>;

/** The stage id a model reference (`sft` or `sft.model`) names. */
function nodeOf(ref: string): string {
  return ref.split('.')[0]!;
}

/** What the schema cannot see alone: each method's own parameters, its base, weights naming inputs, slerp's two models. */
function checkMerge(w: MergeWith, stage: { inputs: readonly string[] }): WithIssue[] {
  const issues: WithIssue[] = [];
  const own = Object.keys(PARAMS[w.method]);
  for (const key of Object.keys(w).filter((k): k is Param => k !== 'method')) {
    if (w[key] === undefined || own.includes(key)) continue;
    const takers = MERGE_METHODS.filter((m) => key in PARAMS[m]);
    issues.push({ path: key, message: `"${key}" is not a parameter of ${w.method} (it belongs to ${takers.join(', ')}); ${w.method} takes ${own.length > 0 ? own.join(', ') : 'nothing'}` });
  }
  const inputs = stage.inputs.map(nodeOf);
  if (needsBase(w.method) && w.base === undefined) {
    issues.push({ path: 'method', message: `${w.method} merges task vectors from a base model: name it in with.base (a model stage not among inputs)` });
  }
  if (w.base !== undefined && needsBase(w.method) && inputs.includes(nodeOf(w.base))) {
    issues.push({ path: 'base', message: `the base "${w.base}" is also in inputs: list the models to merge in inputs and the base only in with.base` });
  }
  for (const key of Object.keys(w.weights ?? {})) {
    if (!inputs.includes(key)) issues.push({ path: `weights.${key}`, message: `"${key}" is not one of this stage's inputs (${inputs.join(', ')}): weights are keyed by the stage id of an input model` });
  }
  if (w.method === 'slerp' && inputs.length !== 2) {
    issues.push({ path: 'method', message: `slerp interpolates between exactly two models (inputs lists ${inputs.length}): t = 0 gives the first, t = 1 the second` });
  }
  if (w.method === 'linear' && (w.normalize ?? true) && inputs.length > 0) {
    const total = inputs.reduce((s, id) => s + (w.weights?.[id] ?? 1), 0);
    if (Math.abs(total) < 1e-8) issues.push({ path: 'weights', message: 'the weights sum to 0, so a normalized linear merge divides by zero: change a weight or set normalize: false' });
  }
  return issues;
}

export const mergeStage = {
  kind: 'merge',
  summary: 'model merging: linear, slerp, task arithmetic, TIES, DARE (mergekit)',
  with: mergeWith,
  settings: mergeSettings,
  inputs: { accepts: ['model'], requires: 'model' },
  roles: { base: 'model' },
  refs: (w: MergeWith) => (w.base !== undefined && needsBase(w.method) ? [{ ref: w.base, role: 'base', path: 'base' }] : []),
  ports: { model: 'model' },
  queue: 'braise-cpu',
  long: false,
  available: true,
  // 2: the merged model keeps its base's (else first model's) chat template.
  implVersion: '2',
  check: checkMerge,
  headline: ['models', 'parameters'],
} as const satisfies StageSpec<'merge', typeof mergeWith, typeof mergeSettings>;
