/** `rlvr`: GRPO-style reinforcement learning with verifiable rewards. In the format, not built yet (issue 11). */
import { z } from 'zod';
import { lr, posInt, TUNES_A_MODEL } from './common.ts';
import type { StageSpec } from './spec.ts';

export const rlvrWith = z
  .object({
    steps: posInt.default(50),
    groupSize: z.number().int().min(2).default(4),
    lr: lr.default(5e-4),
    beta: z.number().min(0).default(0.05),
    task: z.string().default('arithmetic'),
  })
  .strict();

export const rlvrStage = {
  kind: 'rlvr',
  summary: 'reinforcement learning with verifiable rewards (not built yet)',
  with: rlvrWith,
  settings: rlvrWith,
  ...TUNES_A_MODEL,
  available: false,
  implVersion: '0',
  headline: ['steps'],
} as const satisfies StageSpec<'rlvr', typeof rlvrWith>;
