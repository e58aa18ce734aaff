/**
 * `sft`: instruction tuning of an input model (a pretrain, upsample or merge output) on `{prompt, response}`
 * rows (datasets/posttrain/rows.ts) in the trainer child (activities/sft/, ml/trainer/sft.ts), with the
 * chat template of ml/posttrain/sft-loss.ts; the loss counts response tokens only. Defaults follow
 * open-instruct's finetune.py where they fit a tiny byte-level model (linear schedule, warmup ratio 0.03,
 * no weight decay); the learning rate is Braise's, far above Tülu's 5e-6 for 8B models. PURE.
 */
import { z } from 'zod';
import { frac, lr, pos, posInt, TUNES_A_MODEL } from './common.ts';
import type { StageSpec, WithIssue } from './spec.ts';

export const sftWith = z
  .object({
    /** Optimizer updates (default 100); or give `epochs` and the stage counts them from its rows. */
    steps: posInt.max(1_000_000).optional(),
    /** Passes over the rows (open-instruct's num_train_epochs): steps = ceil(epochs · rows / batchSize). */
    epochs: pos.max(1000).optional(),
    batchSize: posInt.max(4096).default(8),
    lr: lr.default(1e-3),
    warmupRatio: frac.default(0.03),
    weightDecay: z.number().min(0).default(0),
    gradClip: pos.default(1),
    checkpointEvery: posInt.default(50),
    /** false: train on the prompt tokens too. */
    maskPrompt: z.boolean().default(true),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  })
  .strict();

export type SftWith = z.output<typeof sftWith>;

function checkSft(w: SftWith): WithIssue[] {
  return w.steps !== undefined && w.epochs !== undefined ? [{ path: 'epochs', message: 'give steps or epochs, not both' }] : [];
}

export const sftStage = {
  kind: 'sft',
  summary: 'supervised fine-tuning on prompt/response pairs, the loss on response tokens only (open-instruct)',
  with: sftWith,
  settings: sftWith,
  ...TUNES_A_MODEL,
  available: true,
  // 2: examples start with the EOS token (the template's BOS), as generation and evaluation show prompts.
  implVersion: '2',
  check: checkSft,
  headline: ['first_loss', 'final_loss', 'steps'],
} as const satisfies StageSpec<'sft', typeof sftWith>;
