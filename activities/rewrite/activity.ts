/**
 * `rewrite` (REWIRE, Nguyen et al. 2025): turns low-quality documents — typically `filter.rejected`
 * — into better ones, and keeps the rewrites that score well. Engines: `rules` (offline cleanup, the
 * default), `model` (a Braise model: a model input of the stage, else the artifact id in
 * `with.model`), `openai` (`with.baseUrl` + `with.modelName`, key from env `OPENAI_API_KEY`).
 * Output port `rewritten`; metrics `docs`, `rewritten`, `failed`, `kept`, `kept_fraction`,
 * `score_before`, `score_rewritten`, `score_after` (mean scores of inputs, all rewrites, kept ones).
 */
import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { z } from 'zod';
import { readDataset, writeDataset } from '../../datasets/dataset.ts';
import type { Doc } from '../../datasets/types.ts';
import type { rewriteWith } from '../../recipe/stage-with.ts';
import type { ActivityDeps } from '../deps.ts';
import { stageActivity } from '../stage-activity.ts';
import { rewriteStage } from '../../recipe/stages/rewrite.ts';
import { classifierFor } from '../filter/activity.ts';
import { scoreDoc } from '../filter/quality-classifier.ts';
import { StageInputError } from '../errors.ts';
import { logChildMessage } from '../trainer-stage.ts';
import type { StageRequest } from '../types.ts';
import type { RewriteEngine } from './engine.ts';
import { modelEngine } from './engines/model.ts';
import { openaiEngine } from './engines/openai.ts';
import { rulesEngine } from './engines/rules.ts';
import { rewriteDocs, type Scorer } from './rewrite.ts';
import { ruleFractionScorer } from './score.ts';

/**
 * The stage's settings. The generation fields are optional here until the recipe schema carries
 * them; their defaults are below.
 */
export type RewriteSettings = z.output<typeof rewriteWith> & {
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  timeoutMs?: number;
};

/**
 * Defaults of the generation settings: `maxNewTokens` (model engine; the openai engine asks for
 * 2048 unless set), `temperature` (both), `topK` (model), `timeoutMs` (openai, per request).
 */
export const GENERATION_DEFAULTS = { maxNewTokens: 256, temperature: 0.7, topK: 40, timeoutMs: 120_000 } as const;

/** What the worker may inject. */
export interface RewriteActivityOptions {
  /** The quality scorer of a stage; default {@link ruleFractionScorer}. */
  scorer?: (req: StageRequest) => Scorer | Promise<Scorer>;
}

/** The model directory of a `model` engine: the stage's one model input, else `with.model` (an artifact id). */
async function modelDirFor(deps: ActivityDeps, req: StageRequest, settings: RewriteSettings): Promise<string> {
  const where = `rewrite "${req.node.id}"`;
  const models = req.inputs.filter((i) => i.kind === 'model');
  if (models.length > 1) throw new StageInputError(`${where}: engine 'model' takes one model input, got ${models.length} (${models.map((m) => m.node).join(', ')})`);
  if (models[0] !== undefined) return deps.store.dir(models[0].artifact.id);
  if (settings.model === undefined) {
    throw new StageInputError(`${where}: engine 'model' needs a model: add a model-producing stage to inputs or set with.model to a model artifact id`);
  }
  const ref = await deps.store.get(settings.model);
  if (ref.kind !== 'model') throw new StageInputError(`${where}: with.model: artifact ${settings.model} is a ${ref.kind}, not a model`);
  return deps.store.ensureLocal(ref.id);
}

/** Which rewrites to keep: the stage's own threshold/keepTopFraction, else its classifier block's. */
function selection(settings: RewriteSettings): { threshold?: number; keepTopFraction?: number } {
  const threshold = settings.threshold ?? settings.classifier?.threshold;
  const keepTopFraction = settings.keepTopFraction ?? settings.classifier?.keepTopFraction;
  return { ...(threshold !== undefined ? { threshold } : {}), ...(keepTopFraction !== undefined ? { keepTopFraction } : {}) };
}

/**
 * The learned quality classifier when the stage names high/low examples (`with.classifier`), trained on them;
 * otherwise the fraction of the heuristic filters that keep the text.
 */
function defaultScorer(deps: ActivityDeps) {
  return async (req: StageRequest): Promise<Scorer> => {
    const model = await classifierFor(deps, req, req.node.with as { classifier?: { epochs: number; seed: number } });
    return model ? (text: string) => scoreDoc(model, text) : ruleFractionScorer();
  };
}

/** Builds the stage's engine from its settings; bad settings throw a permanent {@link StageInputError}. */
export async function engineFor(deps: ActivityDeps, req: StageRequest, settings: RewriteSettings, onActivity: () => void): Promise<RewriteEngine> {
  const where = `rewrite "${req.node.id}"`;
  const temperature = settings.temperature ?? GENERATION_DEFAULTS.temperature;
  switch (settings.engine) {
    case 'rules':
      return rulesEngine();
    case 'model':
      return modelEngine({
        modelDir: await modelDirFor(deps, req, settings),
        maxNewTokens: settings.maxNewTokens ?? GENERATION_DEFAULTS.maxNewTokens,
        temperature,
        topK: settings.topK ?? GENERATION_DEFAULTS.topK,
        seed: req.node.context.seed,
        onMessage: (m) => {
          onActivity();
          logChildMessage(deps, req, m);
        },
      });
    case 'openai':
      if (settings.baseUrl === undefined) throw new StageInputError(`${where}: engine 'openai' needs with.baseUrl`);
      if (settings.modelName === undefined) throw new StageInputError(`${where}: engine 'openai' needs with.modelName`);
      return openaiEngine({
        baseUrl: settings.baseUrl,
        modelName: settings.modelName,
        concurrency: settings.concurrency,
        maxRetries: settings.maxRetries,
        timeoutMs: settings.timeoutMs ?? GENERATION_DEFAULTS.timeoutMs,
        temperature,
        // A chat model reasons before its answer: its own default budget unless the recipe sets one.
        ...(settings.maxNewTokens !== undefined ? { maxTokens: settings.maxNewTokens } : {}),
        seed: req.node.context.seed,
      });
    default:
      throw new StageInputError(`${where}: with.engine: unknown engine '${String(settings.engine)}'`);
  }
}

export function createRewrite(deps: ActivityDeps, options: RewriteActivityOptions = {}) {
  return stageActivity(rewriteStage, {
    async run({ req, settings }) {
      const ctx = Context.current();
      const datasets = req.inputs.filter((i) => i.kind === 'dataset' && (i.role ?? 'data') === 'data');
      if (datasets.length === 0) throw new StageInputError(`rewrite "${req.node.id}": no dataset among its inputs`);
      let done = 0;
      const beat = (): void => heartbeat({ docs: done });
      const engine = await engineFor(deps, req, settings, beat);
      const score = await (options.scorer ?? defaultScorer(deps))(req);
      async function* all(): AsyncGenerator<Doc> {
        for (const input of datasets) yield* readDataset(deps.store, input.artifact.id);
      }
      beat();
      let outcome;
      try {
        outcome = await rewriteDocs(
          all(),
          engine,
          { score, ...selection(settings) },
          {
            signal: ctx.cancellationSignal,
            onProgress: (n) => {
              done = n;
              beat();
            },
          },
        );
      } catch (err) {
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure(`rewrite "${req.node.id}" cancelled after ${done} documents`);
        throw err;
      }
      const { docs, stats } = outcome;
      const artifact = await writeDataset(deps.store, docs, { meta: { stage: req.node.id, runId: req.runId, port: 'rewritten', engine: engine.name } });
      const metrics: Record<string, number> = {
        docs: stats.docs,
        rewritten: stats.rewritten,
        failed: stats.failed,
        kept: stats.kept,
        kept_fraction: stats.docs > 0 ? stats.kept / stats.docs : 0,
      };
      // Means of empty sets are left out rather than recorded as NaN.
      for (const [name, value] of [['score_before', stats.scoreBefore], ['score_rewritten', stats.scoreRewritten], ['score_after', stats.scoreAfter]] as const) {
        if (Number.isFinite(value)) metrics[name] = value;
      }
      deps.logger.info({ stage: req.node.id, engine: engine.name, ...metrics }, 'rewrite finished');
      return { outputs: [{ port: 'rewritten', artifact }], metrics, attempt: activityInfo().attempt };
    },
  });
}
