/** `mix`: an offline training mixture of its input datasets, or an online method handed to `pretrain` (activities/mix/). */
import { z } from 'zod';
import { pos, posInt } from './common.ts';
import type { StageSpec, WithIssue } from './spec.ts';

export const mixWith = z
  .object({
    method: z.enum(['static', 'temperature', 'stratified', 'aioli', 'doremi', 'skill-it', 'regmix']).default('static'),
    weights: z.record(z.string(), z.number().min(0)).optional(),
    temperature: pos.default(2),
    updateEvery: posInt.default(25),
    eta: pos.default(1),
    tokens: posInt.optional(),
  })
  .strict();

export type MixWith = z.output<typeof mixWith>;

/** doremi needs a reference model, which a dataset cannot carry to the pretrain: it is configured there. */
function checkMix(w: MixWith): WithIssue[] {
  if (w.method !== 'doremi') return [];
  return [{ path: 'method', message: 'doremi scores tokens against a reference model, which a mix stage cannot hand to pretrain: give the pretrain stage with.mixture: { method: doremi, reference: <stage> } instead' }];
}

export const mixStage = {
  kind: 'mix',
  summary: 'static, temperature or stratified mixtures; online methods handed to pretrain',
  with: mixWith,
  settings: mixWith,
  inputs: { accepts: ['dataset'], requires: 'dataset' },
  roles: {},
  ports: { mixed: 'dataset' },
  queue: 'braise-cpu',
  long: false,
  available: true,
  implVersion: '2',
  check: checkMix,
  headline: ['docs', 'tokens'],
} as const satisfies StageSpec<'mix', typeof mixWith>;
