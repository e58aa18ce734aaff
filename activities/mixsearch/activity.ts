/**
 * `mixsearch`: RegMix's mixture search (recipe/stages/mixsearch.ts says what; ml/ablation/regmix.ts the math).
 *
 * 1. The token prior: each domain's share of the input documents' tokens (UTF-8 bytes; a document's `domain`,
 *    over every data input).
 * 2. K proxy mixtures drawn around it (seeded: `with.seed`, else the recipe's).
 * 3. One child run per mixture, `<recipe>-<stage>-proxy-<k>`: the inputs as `artifact:` datasets (nothing is
 *    ingested from its source again), a tiny pretrain (`with.model`, `with.train`) with that static mixture,
 *    and an evaluate of its bits per byte on the target (`perplexity/mean/bits_per_byte`: the mean over the
 *    target's domains), the loss the regression fits.
 * 4. Ridge regression from weights to loss on the first K − heldOut proxies; Spearman's ρ of its predictions
 *    against the held-out proxies' losses; then the fit on all K, and the mean of the top-K of `candidates`
 *    Dirichlet(p) samples by predicted loss: the mixture.
 *
 * Outputs: `mixed`, the input documents unchanged with `{ method: static, weights, spec }` as their
 * manifest's `mixture` (the shape a `mix` stage hands to `pretrain`: a pretrain of `<stage>.mixed` samples
 * its domains by these weights), and `report` (`braise.mixsearch/v1`: per proxy its run, weights, loss and
 * predicted loss; ρ; the fit; the mixture). Metrics: `spearman`, `predicted_loss`, `best_proxy_loss`,
 * `proxies`, `weight/<domain>`, and per proxy k `proxy/<k>/loss`, `proxy/<k>/predicted` (by the fit without the
 * held-out proxies), `proxy/<k>/held_out` (1 or 0), `proxy/<k>/weight/<domain>` (cli/render-ablation.ts prints them).
 */
import { activityInfo } from '@temporalio/activity';
import { writeDataset } from '../../datasets/dataset.ts';
import { spearman } from '../../ml/ablation/rank.ts';
import { fitRidge, predictBestMixture, PROXY_SAMPLING, sampleProxyMixtures } from '../../ml/ablation/regmix.ts';
import { evaluateMetricName } from '../../recipe/stages/evaluate-metrics.ts';
import { mixsearchStage, type MixsearchWith } from '../../recipe/stages/mixsearch.ts';
import { ablationInputs, childMetric, childRecipe, runChildren, type ChildSpec } from '../ablation/children.ts';
import type { ActivityDeps } from '../deps.ts';
import type { MixtureSpec } from '../mix/activity.ts';
import { groupByDomain, tokensByDomain } from '../mix/mix.ts';
import { stageActivity } from '../stage-activity.ts';
import type { StageInput } from '../types.ts';

/** The loss each proxy is judged by: bits per byte on the target, the mean over its domains. */
export const TARGET_METRIC = evaluateMetricName({ task: 'perplexity', domain: 'mean', metric: 'bits_per_byte' });

/** A proxy's child recipe: its inputs as `artifact:` datasets, a pretrain with a fixed mixture, an evaluate on the target. */
export function proxyRecipe(settings: MixsearchWith, data: readonly StageInput[], target: StageInput, weights: Record<string, number>, seed: number): Record<string, unknown> {
  return childRecipe({
    seed,
    model: settings.model,
    data,
    target,
    stages: (names) => [
      { id: 'proxy', kind: 'pretrain', inputs: names, with: { ...settings.train, checkpointEvery: settings.train.steps, mixture: { method: 'static', weights } } },
      { id: 'eval', kind: 'evaluate', inputs: ['proxy', 'target'], with: { tasks: ['perplexity'], ...(settings.evalDocsPerDomain !== undefined && { maxDocsPerDomain: settings.evalDocsPerDomain }) } },
    ],
  });
}

export function createMixsearch(deps: ActivityDeps) {
  return stageActivity(mixsearchStage, {
    async run({ req, settings, inputs, reject }) {
      const { target, docs } = await ablationInputs(deps, inputs, reject);
      const tokens = tokensByDomain(groupByDomain(docs));
      const domains = Object.keys(tokens).filter((d) => tokens[d]! > 0);
      if (domains.length < 2) reject(`a mixture search needs documents of at least 2 domains; its inputs have ${domains.length === 0 ? 'none' : `only "${domains[0]}"`}`);
      const prior = domains.map((d) => tokens[d]!);
      const seed = settings.seed ?? req.node.context.seed;
      const sampling = { ...PROXY_SAMPLING, temperature: settings.temperature, maxUsage: settings.maxUsage };
      let mixtures: number[][];
      try {
        mixtures = sampleProxyMixtures(prior, settings.proxies, seed, sampling);
      } catch (err) {
        return reject((err as Error).message);
      }
      const byDomain = (w: readonly number[]) => Object.fromEntries(domains.map((d, i) => [d, w[i]!]));
      const children: ChildSpec[] = mixtures.map((w, k) => ({ suffix: `proxy-${k}`, recipe: proxyRecipe(settings, inputs.data, target, byDomain(w), seed) }));
      const finished = await runChildren(deps, req, children, reject);
      const losses = finished.map((c) => childMetric(c, 'eval', TARGET_METRIC, reject));

      // Fit on all but the held-out proxies (the last ones: the draws are in random order), rank the held-out ones.
      const fitN = mixtures.length - settings.heldOut;
      const heldModel = fitRidge(mixtures.slice(0, fitN), losses.slice(0, fitN), settings.ridge);
      const heldPredicted = mixtures.slice(fitN).map((w) => heldModel.predict(w));
      const rho = spearman(heldPredicted, losses.slice(fitN));
      const model = fitRidge(mixtures, losses, settings.ridge);
      const best = predictBestMixture(model, prior, { candidates: settings.candidates, topK: settings.topK, seed: seed + 1, temperature: settings.temperature });
      const weights = byDomain(best.weights);

      const total = prior.reduce((a, b) => a + b, 0);
      const mixture: MixtureSpec = {
        method: 'static',
        weights,
        spec: { method: 'static', weights },
        tokensByDomain: tokens,
        targetTokens: total,
        seed,
      };
      const mixed = await writeDataset(deps.store, docs, { meta: { stage: req.node.id, runId: req.runId, port: 'mixed', method: 'mixsearch' }, manifest: { mixture } });
      const report = await deps.store.putJson(
        'report',
        {
          format: 'braise.mixsearch/v1',
          stage: req.node.id,
          method: 'regmix',
          regressor: { kind: 'ridge', lambda: settings.ridge, coef: byDomain(model.coef), bias: model.bias },
          targetMetric: TARGET_METRIC,
          target: target.artifact.id,
          prior: byDomain(prior.map((t) => t / total)),
          sampling: { ...sampling, seed },
          proxies: finished.map((c, k) => ({
            index: k,
            runId: c.runId,
            weights: byDomain(mixtures[k]!),
            loss: losses[k],
            heldOut: k >= fitN,
            predicted: k >= fitN ? heldPredicted[k - fitN] : heldModel.predict(mixtures[k]!),
            predictedByFullFit: model.predict(mixtures[k]!),
          })),
          spearman: Number.isNaN(rho) ? null : rho,
          heldOut: settings.heldOut,
          candidates: settings.candidates,
          topK: settings.topK,
          mixture: weights,
          predictedLoss: best.predicted,
        },
        { stage: req.node.id, runId: req.runId },
      );
      const metrics: Record<string, number> = {
        proxies: mixtures.length,
        predicted_loss: best.predicted,
        best_proxy_loss: Math.min(...losses),
        ...(Number.isNaN(rho) ? {} : { spearman: rho }),
      };
      for (const [d, w] of Object.entries(weights)) metrics[`weight/${d}`] = w;
      // Each proxy's row (what `braise run` prints; the report has the same and its run id).
      mixtures.forEach((w, k) => {
        metrics[`proxy/${k}/loss`] = losses[k]!;
        metrics[`proxy/${k}/predicted`] = k >= fitN ? heldPredicted[k - fitN]! : heldModel.predict(w);
        metrics[`proxy/${k}/held_out`] = k >= fitN ? 1 : 0;
        domains.forEach((d, i) => (metrics[`proxy/${k}/weight/${d}`] = w[i]!));
      });
      return {
        outputs: [
          { port: 'mixed', artifact: mixed },
          { port: 'report', artifact: report },
        ],
        metrics,
        attempt: activityInfo().attempt,
      };
    },
  });
}
