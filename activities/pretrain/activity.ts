/**
 * `pretrain`: trains the recipe's GPT on its input datasets in a child process
 * (the worker's event loop stays free for heartbeats), heartbeating
 * `{ step, totalSteps, loss, checkpoint }`. A retried attempt resumes from the
 * checkpoint named in the last heartbeat, or the latest one on disk for this
 * cache key (a --no-cache run: for this cache key in this run only, so it
 * trains from scratch); cancellation kills the child.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { readDatasetAll, readManifest, shardPaths, writeDataset } from '../../datasets/dataset.ts';
import type { Doc } from '../../datasets/types.ts';
import { latestCheckpoint } from '../../ml/checkpoint.ts';
import type { ChildMessage, MixtureJobSpec, PretrainJob, PretrainResult } from '../../ml/jobs.ts';
import { runJob } from '../../ml/runner.ts';
import { estimateTrainingMemory } from '../../recipe/memory.ts';
import type { PretrainSettings } from '../../recipe/stages/pretrain.ts';
import type { ActivityDeps } from '../deps.ts';
import { stageActivity } from '../stage-activity.ts';
import { pretrainStage } from '../../recipe/stages/pretrain.ts';
import { StageInputError } from '../errors.ts';
import type { StageRequest, TrainingProgress } from '../types.ts';
import { splitHoldout } from './holdout.ts';
import { recordTrainingOrder } from './training-order.ts';

/**
 * Where a retried or resumed attempt continues: the newer of the checkpoint in
 * the last heartbeat and the latest complete one on disk for this cache key
 * (a graceful shutdown writes one after its last heartbeat got through).
 */
export async function resumePoint(fromHeartbeat: string | null, checkpointDir: string): Promise<string | undefined> {
  const candidates = [fromHeartbeat, await latestCheckpoint(checkpointDir)].filter((c): c is string => c !== null);
  const usable = [];
  for (const c of candidates) if (await stat(join(c, 'state.json')).then(() => true, () => false)) usable.push(c);
  const step = (dir: string) => Number(/step-(\d+)$/.exec(dir)?.[1] ?? -1);
  return usable.sort((a, b) => step(b) - step(a))[0];
}

/**
 * Where a stage's checkpoints live. Runs that share a cache key share them, so a resumed run continues where an
 * earlier one stopped; a --no-cache run keeps its own (retries and resumes within the run still find them).
 */
export function checkpointScope(req: Pick<StageRequest, 'cacheKey' | 'runId' | 'noCache'>): string {
  return req.noCache ? `${req.cacheKey}.nocache-${req.runId.replace(/[^A-Za-z0-9_-]/g, '_')}` : req.cacheKey;
}

function prefixed(prefix: string, values: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(values ?? {}).map(([k, v]) => [prefix + k, v]));
}

/** An online mixture a `mix` stage handed over in its dataset's manifest (`mixture.spec`), if any. */
async function inputMixture(deps: ActivityDeps, req: StageRequest): Promise<MixtureJobSpec | undefined> {
  for (const i of req.inputs) {
    if (i.kind !== 'dataset' || (i.role ?? 'data') !== 'data') continue;
    const manifest = (await readManifest(deps.store, i.artifact.id)) as { mixture?: { spec?: MixtureJobSpec } };
    if (manifest.mixture?.spec) return manifest.mixture.spec;
  }
  return undefined;
}

/** The job's mixture: the stage's own `with.mixture` (its defaults resolved at compile time) wins over one carried by the input dataset. */
export function mixtureFor(settings: Pick<PretrainSettings, 'mixture'>, fromInput: MixtureJobSpec | undefined): MixtureJobSpec | undefined {
  return settings.mixture ?? fromInput;
}

export function createPretrain(deps: ActivityDeps) {
  return stageActivity(pretrainStage, {
    async run({ req, settings }) {
      const ctx = Context.current();
      const { seed, model } = req.node.context;
      const docs: Doc[] = [];
      for (const input of req.inputs) if ((input.role ?? 'data') === 'data') docs.push(...(await readDatasetAll(deps.store, input.artifact.id)));
      const { train, heldout } = splitHoldout(docs, seed, settings.holdout);
      if (train.length === 0) throw new StageInputError(`pretrain "${req.node.id}": no training documents (inputs had ${docs.length})`);
      const trainRef = await writeDataset(deps.store, train, { meta: { stage: req.node.id, split: 'train' } });
      const heldoutRef = await writeDataset(deps.store, heldout, { meta: { stage: req.node.id, split: 'heldout' } });

      const checkpointDir = join(deps.config.checkpointsRoot, checkpointScope(req));
      const previous = ctx.info.heartbeatDetails as Partial<TrainingProgress> | undefined;
      const resumeFrom = await resumePoint(previous?.checkpoint ?? null, checkpointDir);
      const outputDir = await deps.store.stage();
      const job: PretrainJob = {
        type: 'pretrain',
        shards: await shardPaths(deps.store, trainRef.id),
        model: model as unknown as PretrainJob['model'],
        steps: settings.steps,
        batchSize: settings.batchSize,
        lr: settings.lr,
        warmupSteps: settings.warmupSteps,
        minLrRatio: settings.minLrRatio,
        weightDecay: settings.weightDecay,
        gradClip: settings.gradClip,
        checkpointEvery: settings.checkpointEvery,
        checkpointDir,
        outputDir,
        seed,
        resumeFrom: resumeFrom ?? undefined,
        backend: settings.backend,
        mixture: mixtureFor(settings, await inputMixture(deps, req)),
        sequenceLength: settings.sequenceLength,
      };

      let progress: TrainingProgress = { step: 0, totalSteps: settings.steps, loss: null, checkpoint: resumeFrom ?? null };
      let pending: Array<[number, number]> = [];
      const flushLoss = async () => {
        const points = pending;
        pending = [];
        if (points.length > 0) await deps.lineage.recordMetrics(req.runId, req.node.id, 'train/loss', points);
      };
      const onMessage = (m: ChildMessage) => {
        if (m.type === 'progress') {
          progress = { ...progress, step: m.step, totalSteps: m.totalSteps, loss: m.loss };
          pending.push([m.step, m.loss]);
          heartbeat(progress);
        } else if (m.type === 'checkpoint') {
          progress = { ...progress, step: m.step, loss: m.loss, checkpoint: m.dir };
          heartbeat(progress);
          void flushLoss().catch((err: unknown) => deps.logger.warn(`recording loss points failed (retried at the end): ${String((err as Error).cause ?? err).split('\n')[0]}`));
          void deps.reportProgress(req.workflowId, req.node.id, progress).catch(() => undefined);
        } else if (m.type === 'mixture') {
          const points = Object.entries(m.weights).map(([domain, w]) => ({ domain, w }));
          for (const { domain, w } of points) {
            void deps.lineage.recordMetrics(req.runId, req.node.id, `mixture/${domain}`, [[m.step, w]]).catch(() => undefined);
          }
        } else if (m.type === 'log') {
          deps.logger[m.level]({ stage: req.node.id }, m.msg);
        }
      };
      heartbeat(progress);
      let result: PretrainResult;
      try {
        // The compiler's estimate, so an out-of-memory failure can say what this stage was expected to need.
        const estimatedMemoryBytes = estimateTrainingMemory({ ...job.model, batchSize: job.batchSize }).bytes;
        result = await runJob<PretrainResult>(job, { signal: ctx.cancellationSignal, onMessage, estimatedMemoryBytes });
      } catch (err) {
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure(`pretrain "${req.node.id}" cancelled at step ${progress.step}`);
        throw err;
      }
      // The whole curve, idempotently: covers points lost to a failed flush and steps before a resume.
      await deps.lineage.recordMetrics(req.runId, req.node.id, 'train/loss', result.lossCurve);
      // Which checkpoints saw which documents: the windows the final model descends from, each once.
      await recordTrainingOrder(deps, req, checkpointDir, result.steps, resumeFrom);
      const artifact = await deps.store.commit(outputDir, 'model', {
        stage: req.node.id,
        backend: result.backend,
        steps: result.steps,
        finalLoss: result.finalLoss,
        config: model,
        trainedOn: trainRef.id,
      });
      return {
        outputs: [
          { port: 'model', artifact },
          { port: 'heldout', artifact: heldoutRef },
        ],
        metrics: {
          final_loss: result.finalLoss,
          first_loss: result.lossCurve[0]?.[1] ?? Number.NaN,
          steps: result.steps,
          tokens: result.tokensSeen,
          resumed_from_step: result.resumedFromStep ?? -1,
          train_docs: train.length,
          heldout_docs: heldout.length,
          ...prefixed('weight/', result.mixtureWeights),
          ...prefixed('domain_loss/', result.domainLoss),
          ...(result.attentionFlopsPerToken !== undefined ? { attention_flops_per_token: result.attentionFlopsPerToken } : {}),
          ...(result.concatChunkAttentionFlopsPerToken !== undefined ? { concat_chunk_attention_flops_per_token: result.concatChunkAttentionFlopsPerToken } : {}),
        },
        attempt: activityInfo().attempt,
      };
    },
  });
}
