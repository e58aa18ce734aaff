/** `upsample`: continues a pretrained model for the last `fraction` of its schedule with a changed domain mixture. In the format, not built yet (issue 11). */
import { z } from 'zod';
import { lr, posInt, TUNES_A_MODEL } from './common.ts';
import type { StageSpec } from './spec.ts';

export const upsampleWith = z
  .object({
    fraction: z.number().gt(0).max(1).default(0.1),
    steps: posInt.optional(),
    lr: lr.optional(),
    weights: z.record(z.string(), z.number().min(0)).optional(),
  })
  .strict();

export const upsampleStage = {
  kind: 'upsample',
  summary: 'continued pretraining with a changed domain mixture (not built yet)',
  with: upsampleWith,
  settings: upsampleWith,
  ...TUNES_A_MODEL,
  available: false,
  implVersion: '0',
  headline: ['final_loss', 'steps'],
} as const satisfies StageSpec<'upsample', typeof upsampleWith>;
