/** `merge`: combines models' weights (linear, slerp, task arithmetic, TIES, DARE). In the format, not built yet (issue 11). */
import { z } from 'zod';
import { frac } from './common.ts';
import type { StageSpec } from './spec.ts';

export const mergeWith = z
  .object({
    method: z.enum(['linear', 'slerp', 'task-arithmetic', 'ties', 'dare']).default('linear'),
    weights: z.array(z.number()).optional(),
    t: frac.default(0.5),
    density: z.number().gt(0).max(1).default(0.5),
    base: z.string().optional(),
  })
  .strict();

export const mergeStage = {
  kind: 'merge',
  summary: 'model merging (not built yet)',
  with: mergeWith,
  settings: mergeWith,
  inputs: { accepts: ['model'], requires: 'model' },
  roles: {},
  ports: { model: 'model' },
  queue: 'braise-cpu',
  long: false,
  available: false,
  implVersion: '0',
  headline: [],
} as const satisfies StageSpec<'merge', typeof mergeWith>;
