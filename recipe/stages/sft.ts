/** `sft`: instruction tuning on prompt/response pairs. In the format, not built yet (issue 11). */
import { z } from 'zod';
import { lr, posInt, TUNES_A_MODEL } from './common.ts';
import type { StageSpec } from './spec.ts';

export const sftWith = z
  .object({ steps: posInt.default(100), batchSize: posInt.default(8), lr: lr.default(1e-3), maskPrompt: z.boolean().default(true) })
  .strict();

export const sftStage = {
  kind: 'sft',
  summary: 'supervised fine-tuning on prompt/response pairs (not built yet)',
  with: sftWith,
  settings: sftWith,
  ...TUNES_A_MODEL,
  available: false,
  implVersion: '0',
  headline: ['final_loss', 'steps'],
} as const satisfies StageSpec<'sft', typeof sftWith>;
