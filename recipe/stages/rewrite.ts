/** `rewrite`: REWIRE-style rewriting of (typically) rejected documents by rules, a Braise model or an OpenAI-compatible endpoint (activities/rewrite/). */
import { z } from 'zod';
import { classifierRefs, classifierSchema, frac, posInt, refSchema } from './common.ts';
import type { StageSpec } from './spec.ts';

/** Tokens a `model` engine generates per document unless `maxNewTokens` says otherwise (openai: the endpoint's own budget). */
export const MODEL_ENGINE_MAX_NEW_TOKENS = 256;

export const rewriteWith = z
  .object({
    engine: z.enum(['rules', 'model', 'openai']).default('rules'),
    keepTopFraction: frac.optional(),
    threshold: frac.optional(),
    /** The model stage (`stage` or `stage.model`) the `model` engine generates with. */
    model: refSchema.optional(),
    classifier: classifierSchema.optional(),
    /** Tokens to generate per document; default 256 for the model engine; openai: the endpoint's own unless set (chat models think first). */
    maxNewTokens: posInt.max(32_768).optional(),
    temperature: z.number().min(0).max(5).default(0.7),
    topK: z.number().int().min(0).default(40),
    timeoutMs: posInt.default(120_000),
    baseUrl: z.string().url().optional(),
    modelName: z.string().optional(),
    concurrency: posInt.max(64).default(4),
    maxRetries: z.number().int().min(0).max(10).default(3),
  })
  .strict()
  .refine((w) => w.engine !== 'openai' || (w.baseUrl !== undefined && w.modelName !== undefined), {
    message: 'engine "openai" needs baseUrl and modelName',
    path: ['baseUrl'],
  });

/** The settings a rewrite runs with: the model engine's token budget filled in. */
export const rewriteSettings = rewriteWith.transform((w) =>
  w.engine === 'model' && w.maxNewTokens === undefined ? { ...w, maxNewTokens: MODEL_ENGINE_MAX_NEW_TOKENS } : w,
);

export type RewriteWith = z.output<typeof rewriteWith>;

export const rewriteStage = {
  kind: 'rewrite',
  summary: 'REWIRE-style rewriting (engines rules, model, openai), keeping rewrites by quality score',
  with: rewriteWith,
  settings: rewriteSettings,
  inputs: { accepts: ['dataset', 'model'], requires: 'dataset' },
  roles: { high: 'dataset', low: 'dataset', model: 'model' },
  refs: (w: RewriteWith) => [...classifierRefs(w.classifier), ...(w.model !== undefined ? [{ ref: w.model, role: 'model', path: 'model' }] : [])],
  ports: { rewritten: 'dataset' },
  queue: 'braise-cpu',
  long: true,
  available: true,
  implVersion: '1',
  headline: ['docs', 'kept', 'score_after'],
} as const satisfies StageSpec<'rewrite', typeof rewriteWith, typeof rewriteSettings>;
