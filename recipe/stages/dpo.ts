/**
 * `dpo`: direct preference optimization of an input model (a pretrain, upsample, sft or merge output) on
 * `{prompt, chosen, rejected}` rows (datasets/posttrain/rows.ts) against a frozen reference model, the input
 * model itself, in the trainer child (activities/dpo/, ml/trainer/dpo.ts). Responses are scored in the sft
 * chat template (ml/posttrain/sft-loss.ts), response tokens only. The reference's log-probabilities are
 * computed once, as an artifact of their own (port `reference`), and reused by reruns, resumes and retries.
 *
 * Defaults are open-instruct's (`DPOConfig`: `dpo_norm`, β 5, label smoothing 0, SimPO's γ/β 0.3) and Tülu 3's
 * DPO recipe (linear schedule, warmup ratio 0.1, no weight decay, one epoch in spirit: give `epochs: 1`).
 * Where Braise differs: `lr` 1e-3 (Tülu 3 uses 5e-7 for 8B models; a model of a few thousand parameters needs
 * far more), `gradClip` 1 (open-instruct does not clip), and 100 steps when neither steps nor epochs is given.
 *
 * `pairs: { chosen, rejected }` makes the preference rows instead of reading them ("weaker vs weakest", the Delta
 * Learning idea): for every prompt of its datasets (any row shape), a response sampled from the `chosen` model is
 * preferred to one sampled from the `rejected` model. Both are role references (stage ids), so they are inputs of
 * the stage and part of its cache key; the pairs are an output of their own (port `pairs`). PURE.
 */
import { z } from 'zod';
import { frac, lr, pos, posInt, refSchema, TUNES_A_MODEL } from './common.ts';
import type { StageSpec, WithIssue } from './spec.ts';

/** open-instruct's DPO loss types: summed log-probs (`dpo`), length-averaged (`dpo_norm`), reference-free SimPO. */
export const DPO_LOSS_TYPE_NAMES = ['dpo', 'dpo_norm', 'simpo'] as const;

/** How the `pairs` generator samples each model's responses (ml/generate.ts). */
export const dpoPairsWith = z
  .object({
    /** The stronger model: its sampled response is `chosen`. */
    chosen: refSchema,
    /** The weaker model: its sampled response is `rejected`. */
    rejected: refSchema,
    maxNewTokens: posInt.max(4096).default(24),
    /** Softmax temperature (default 1: each model's own distribution); 0 samples greedily. */
    temperature: z.number().min(0).max(10).default(1),
    topK: z.number().int().min(0).default(0),
  })
  .strict();

export const dpoWith = z
  .object({
    lossType: z.enum(DPO_LOSS_TYPE_NAMES).default('dpo_norm'),
    beta: pos.max(1000).default(5),
    /** ε of the conservative DPO loss, in [0, 0.5). */
    labelSmoothing: z.number().min(0).lt(0.5).default(0),
    /** SimPO's target margin γ/β (simpo only). */
    gammaBetaRatio: z.number().min(-100).max(100).default(0.3),
    /** Optimizer updates (default 100); or give `epochs` and the stage counts them from its pairs. */
    steps: posInt.max(1_000_000).optional(),
    /** Passes over the pairs: steps = ceil(epochs · pairs / batchSize). */
    epochs: pos.max(1000).optional(),
    /** Pairs per update (each pair is two rows, chosen and rejected). */
    batchSize: posInt.max(4096).default(8),
    lr: lr.default(1e-3),
    warmupRatio: frac.default(0.1),
    weightDecay: z.number().min(0).default(0),
    gradClip: pos.default(1),
    checkpointEvery: posInt.default(50),
    /** Make the pairs from two models' samples instead of reading `{prompt, chosen, rejected}` rows. */
    pairs: dpoPairsWith.optional(),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  })
  .strict();

export type DpoWith = z.output<typeof dpoWith>;

function checkDpo(w: DpoWith): WithIssue[] {
  const issues: WithIssue[] = [];
  if (w.steps !== undefined && w.epochs !== undefined) issues.push({ path: 'epochs', message: 'give steps or epochs, not both' });
  if (w.pairs !== undefined && w.pairs.chosen === w.pairs.rejected) issues.push({ path: 'pairs.rejected', message: `"${w.pairs.rejected}" is also pairs.chosen: the pairs compare two different models` });
  return issues;
}

export const dpoStage = {
  kind: 'dpo',
  summary: 'direct preference optimization (dpo, dpo_norm, simpo) against the frozen input model, its log-probs cached (open-instruct)',
  with: dpoWith,
  settings: dpoWith,
  ...TUNES_A_MODEL,
  roles: { chosen: 'model', rejected: 'model' },
  refs: (w: DpoWith) =>
    w.pairs === undefined
      ? []
      : [
          { ref: w.pairs.chosen, role: 'chosen', path: 'pairs.chosen' },
          { ref: w.pairs.rejected, role: 'rejected', path: 'pairs.rejected' },
        ],
  ports: { model: 'model', reference: 'report', pairs: 'dataset' },
  available: true,
  implVersion: '1',
  check: checkDpo,
  headline: ['first_loss', 'final_loss', 'reward_margin', 'accuracy'],
} as const satisfies StageSpec<'dpo', typeof dpoWith>;
