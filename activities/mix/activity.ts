/**
 * `mix`: builds the training mixture of its input datasets.
 *
 * Offline methods (`static`, `temperature`, `stratified`, see `mix.ts`) sample the data here: the
 * output is the mixed dataset, whose manifest records
 * `mixture: { method, weights, tokensByDomain, targetTokens, inputTokensByDomain,
 * targetTokensByDomain, seed, temperature? }`.
 *
 * Online and search methods (`aioli`, `doremi`, `skill-it`, `regmix`) choose weights while (or
 * before) training from per-domain losses, so the data cannot be mixed here: the output holds every
 * input document unchanged, and the manifest's `mixture` describes the method for `pretrain`:
 * `{ method, online: true, spec, weights (initial: with.weights normalised, else uniform over
 * domains with data), tokensByDomain (of the input), targetTokens, temperature, updateEvery, eta,
 * seed }`. `spec` is the pretrain job's `mixture` field as is (`{ method, eta, updateEvery }`, see
 * `ml/mixing/spec.ts`) for `aioli`, `doremi` and `skill-it`; `regmix` (a search over proxy runs)
 * has none: the trainer has no policy for it.
 *
 * Metrics: `docs`, `tokens`, `target_tokens`, and `weight/<domain>`, `tokens/<domain>` per domain.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import type { z } from 'zod';
import { readDataset, writeDataset } from '../../datasets/dataset.ts';
import type { Doc } from '../../datasets/types.ts';
import type { MixtureJobSpec } from '../../ml/jobs.ts';
import type { mixWith } from '../../recipe/stage-with.ts';
import type { ActivityDeps } from '../deps.ts';
import { stageActivity } from '../stage-activity.ts';
import { mixStage } from '../../recipe/stages/mix.ts';
import { StageInputError } from '../errors.ts';
import { groupByDomain, mixDocs, normalize, OFFLINE_METHODS, tokensByDomain, type OfflineMethod } from './mix.ts';

export type MixSettings = z.output<typeof mixWith>;

/** The manifest's `mixture` field (see the module comment). */
export type MixtureSpec = {
  method: MixSettings['method'];
  /** Sampled here (offline) or initial weights for pretrain (online). One per domain, summing to 1. */
  weights: Record<string, number>;
  /** Tokens per domain of the output (offline: the sample; online: the input, passed through). */
  tokensByDomain: Record<string, number>;
  targetTokens: number;
  seed: number;
  online?: true;
  /** Online methods the trainer implements: its job's `mixture` field. */
  spec?: MixtureJobSpec;
  inputTokensByDomain?: Record<string, number>;
  targetTokensByDomain?: Record<string, number>;
  temperature?: number;
  updateEvery?: number;
  eta?: number;
};

/** `{ spec }` for the online methods the trainer implements, else nothing. */
function onlineSpec(settings: MixSettings): { spec?: MixtureJobSpec } {
  const { eta, updateEvery } = settings;
  switch (settings.method) {
    case 'aioli':
    case 'skill-it':
      return { spec: { method: settings.method, eta, updateEvery } };
    case 'doremi':
      // Refused at compile time (recipe/stages/mix.ts): it needs a reference model, given on the pretrain stage.
      throw new StageInputError('with.method: doremi needs a reference model; configure it on the pretrain stage (with.mixture: { method: doremi, reference: <stage> })');
    default:
      return {};
  }
}

/** The manifest's `mixture` field, and the data to write, for any method. */
export function planMixture(docs: Doc[], settings: MixSettings, seed: number): { docs: Doc[]; mixture: MixtureSpec } {
  if ((OFFLINE_METHODS as readonly string[]).includes(settings.method)) {
    const method = settings.method as OfflineMethod;
    const out = mixDocs(docs, {
      method,
      ...(settings.weights !== undefined ? { weights: settings.weights } : {}),
      ...(settings.tokens !== undefined ? { tokens: settings.tokens } : {}),
      temperature: settings.temperature,
      seed,
    });
    return {
      docs: out.docs,
      mixture: {
        method,
        weights: out.weights,
        tokensByDomain: out.tokensByDomain,
        targetTokens: out.targetTokens,
        inputTokensByDomain: out.inputTokensByDomain,
        targetTokensByDomain: out.targetTokensByDomain,
        seed,
        ...(method === 'temperature' ? { temperature: settings.temperature } : {}),
      },
    };
  }
  const tokens = tokensByDomain(groupByDomain(docs));
  for (const domain of Object.keys(settings.weights ?? {})) {
    if (!(domain in tokens)) throw new StageInputError(`with.weights.${domain}: no input document has domain '${domain}' (domains: ${Object.keys(tokens).join(', ') || '(none)'})`);
  }
  const initial = Object.fromEntries(Object.keys(tokens).map((d) => [d, tokens[d]! > 0 ? (settings.weights === undefined ? 1 : (settings.weights[d] ?? 0)) : 0]));
  const total = Object.values(tokens).reduce((a, b) => a + b, 0);
  return {
    docs,
    mixture: {
      method: settings.method,
      online: true,
      ...onlineSpec(settings),
      weights: normalize(initial, 'with.weights'),
      tokensByDomain: tokens,
      targetTokens: settings.tokens ?? total,
      temperature: settings.temperature,
      updateEvery: settings.updateEvery,
      eta: settings.eta,
      seed,
    },
  };
}

export function createMix(deps: ActivityDeps) {
  return stageActivity(mixStage, {
    async run({ req, settings }) {
      const docs: Doc[] = [];
      for (const input of req.inputs.filter((i) => i.kind === 'dataset')) {
        for await (const doc of readDataset(deps.store, input.artifact.id)) {
          docs.push(doc);
          if (docs.length % 1000 === 0) heartbeat({ docs: docs.length });
        }
      }
      if (docs.length === 0) throw new StageInputError(`mix "${req.node.id}": its inputs hold no documents`);
      let plan;
      try {
        plan = planMixture(docs, settings, req.node.context.seed);
      } catch (err) {
        if (err instanceof StageInputError) err.message = `mix "${req.node.id}": ${err.message}`;
        throw err;
      }
      const { mixture } = plan;
      const artifact = await writeDataset(deps.store, plan.docs, { meta: { stage: req.node.id, runId: req.runId, port: 'mixed', method: settings.method }, manifest: { mixture } });
      const metrics: Record<string, number> = {
        docs: plan.docs.length,
        tokens: Object.values(mixture.tokensByDomain).reduce((a, b) => a + b, 0),
        target_tokens: mixture.targetTokens,
      };
      for (const [domain, w] of Object.entries(mixture.weights)) metrics[`weight/${domain}`] = w;
      for (const [domain, t] of Object.entries(mixture.tokensByDomain)) metrics[`tokens/${domain}`] = t;
      return { outputs: [{ port: 'mixed', artifact }], metrics, attempt: activityInfo().attempt };
    },
  });
}
