/** `dpo`: direct preference optimization against a frozen reference model. In the format, not built yet (issue 11). */
import { z } from 'zod';
import { lr, pos, posInt, TUNES_A_MODEL } from './common.ts';
import type { StageSpec } from './spec.ts';

export const dpoWith = z
  .object({ steps: posInt.default(100), batchSize: posInt.default(8), lr: lr.default(5e-4), beta: pos.default(0.1) })
  .strict();

export const dpoStage = {
  kind: 'dpo',
  summary: 'direct preference optimization (not built yet)',
  with: dpoWith,
  settings: dpoWith,
  ...TUNES_A_MODEL,
  available: false,
  implVersion: '0',
  headline: ['final_loss', 'steps'],
} as const satisfies StageSpec<'dpo', typeof dpoWith>;
