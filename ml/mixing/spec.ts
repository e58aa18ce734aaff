import { z } from 'zod';

/**
 * How a pretraining run mixes its domains (documents grouped by their `domain` field).
 *
 * - `static`: fixed weights (normalized); default proportional to each domain's tokens.
 * - `temperature`: p_i ∝ n_i^(1/T) over domain token counts n_i (T = 1: proportional, T → ∞: uniform).
 * - `stratified`: uniform over domains.
 * - `doremi`, `skill-it`, `aioli`: online methods that reweight every `updateEvery` steps (see
 *   `doremi.ts`, `skill-it.ts`, `aioli.ts` for the update rules and their papers).
 */
export type MixtureSpec =
  | { method: 'static'; weights?: Record<string, number> }
  | { method: 'temperature'; temperature: number }
  | { method: 'stratified' }
  | {
      method: 'doremi';
      /** Step size of the exponentiated-gradient update (`reweight_eta`; the paper and the code use 1). */
      eta: number;
      /** Mixing with uniform, c in α ← (1 − c)·α + c·u (`reweight_eps`: the paper's 1e-3, the code's default 1e-4); default 1e-3. */
      smoothing?: number;
      /** Steps between updates (the reference updates after every step: 1). The trainer scores against the reference model in `paths.referenceModel`. */
      updateEvery: number;
    }
  | {
      method: 'skill-it';
      eta: number;
      /** The skills graph: `graph[i][j]` = how much training on domain i helps domain j (entries left out: 0; an off-diagonal 1 counts 0.5, as the reference reads its 0/1 graphs); default the identity. */
      graph?: Record<string, Record<string, number>>;
      /** How many of the last per-domain loss vectors the update sums (`mw_window`); default 3. */
      window?: number;
      updateEvery: number;
    }
  | {
      method: 'aioli';
      eta: number;
      /** Length of one round: LearnParams at its end, then the exponentiated-gradient step. */
      updateEvery: number;
      /** Sweeps over the domains per LearnParams (the paper's `lp_rounds`); default 1. */
      lpRounds?: number;
      /** Steps trained on each perturbed mixture (the paper's `lp_steps`); default 5, the reference's. */
      lpSteps?: number;
      /** Weight of the perturbed domain in its mixture, the rest spread evenly (`one_hot_factor`); default 1. */
      oneHotFactor?: number;
      /** Shift A to non-negative entries and scale it to sum 1 before the step (`aioli_normalize_A`, which every released run script sets); default true. */
      normalizeA?: boolean;
      /** Keep only A's diagonal, A_ii = G_ii / oneHotFactor (`aioli_diagonal`; needs oneHotFactor < 1); default false. */
      diagonal?: boolean;
      /** When set, p ∝ exp(η·Σ_i Ā_ij) with Ā an EMA of A (Ā ← (1 − ema)·A + ema·Ā), as the released code does. */
      ema?: number;
      /** Fixed windows per domain that measure per-domain loss around each perturbed interval; default 8. */
      probeWindows?: number;
    };

/** What a pretrain job's `mixture` field holds: a spec, plus an optional update period for static methods. */
export type MixtureJobSpec = MixtureSpec & { updateEvery?: number };

/** The method names, in the order the docs list them. */
export const MIXTURE_METHODS = ['static', 'temperature', 'stratified', 'doremi', 'skill-it', 'aioli'] as const;

/** One domain the policy mixes, with its token count (documents + EOS) in the training data. */
export interface MixtureDomain {
  name: string;
  tokens: number;
}

/**
 * A rule that sets the sampling weights over domains during training.
 *
 * The trainer samples step `s` (0-based) from {@link samplingWeights}`(s)`; after each step it calls
 * {@link observeProbe} when {@link wantsProbe} asks for it, and every `updateEvery` steps it calls
 * {@link update}. Everything a policy knows is in {@link state}, so a run resumed from a checkpoint
 * continues exactly as an uninterrupted one.
 */
export interface MixturePolicy {
  readonly method: string;
  /** The current mixture: one weight per domain, non-negative, summing to 1. */
  weights(): Record<string, number>;
  /**
   * Called every `updateEvery` steps (`step` = steps completed) with the mean per-domain training
   * loss since the last update (nats/token) and, for a policy that {@link needsReference}, the mean
   * per-token excess loss over the reference model, max(ℓθ − ℓref, 0) clipped token by token. A
   * domain that was not sampled since then is absent; policies then keep their previous estimate for it.
   */
  update(step: number, perDomainLoss: Record<string, number>, perDomainExcess?: Record<string, number>): void;
  /** True when {@link update} needs the per-token excess loss over a reference model (DoReMi). */
  readonly needsReference?: boolean;
  /** The mixture the method outputs at the end of training (DoReMi: the time average of its weights); default {@link weights}. */
  finalWeights?(): Record<string, number>;
  /** JSON-serializable; `createMixturePolicy(spec, domains, { state })` restores it exactly. */
  state(): unknown;
  /** The mixture that 0-based step `step` draws its rows from: {@link weights} except while a policy perturbs it (Aioli's LearnParams). */
  samplingWeights(step: number): Record<string, number>;
  /** True when the policy needs per-domain probe losses measured after `step` completed steps. */
  wantsProbe(step: number): boolean;
  /** Per-domain mean loss on the fixed probe windows, measured after `step` completed steps. */
  observeProbe(step: number, perDomainLoss: Record<string, number>): void;
}

const weightMap = z.record(z.string().min(1), z.number().nonnegative());
const positive = z.number().positive();
const period = z.number().int().positive();

/** Validates a {@link MixtureJobSpec}; unknown keys are errors. Domain names are checked against the data at run time. */
export const mixtureJobSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('static'), weights: weightMap.optional(), updateEvery: period.optional() }),
  z.strictObject({ method: z.literal('temperature'), temperature: positive, updateEvery: period.optional() }),
  z.strictObject({ method: z.literal('stratified'), updateEvery: period.optional() }),
  z.strictObject({
    method: z.literal('doremi'),
    eta: positive,
    smoothing: z.number().min(0).max(1).optional(),
    updateEvery: period,
  }),
  z.strictObject({
    method: z.literal('skill-it'),
    eta: positive,
    graph: z.record(z.string().min(1), z.record(z.string().min(1), z.number())).optional(),
    window: period.optional(),
    updateEvery: period,
  }),
  z.strictObject({
    method: z.literal('aioli'),
    eta: positive,
    updateEvery: period,
    lpRounds: period.optional(),
    lpSteps: period.optional(),
    oneHotFactor: z.number().gt(0).max(1).optional(),
    normalizeA: z.boolean().optional(),
    diagonal: z.boolean().optional(),
    ema: z.number().min(0).lt(1).optional(),
    probeWindows: period.optional(),
  }),
]) satisfies z.ZodType<MixtureJobSpec>;
