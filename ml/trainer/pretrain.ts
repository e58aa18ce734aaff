/**
 * `pretrain` jobs: a GPT trained on JSONL shards with the trainer kit (ml/trainer/kit.ts), which
 * owns resume, checkpoints, graceful stop and progress. This file supplies the data and the loss
 * step: random windows of the concatenated documents, a domain mixture, or dataset decomposition.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CONSUMED_FILE } from '../consumed.ts';
import { batchAt, buildTokenStream, ConsumedCounter, consumedDocs, DEFAULT_DOMAIN, readDocs, type ShardDoc, type TokenStream } from '../data.ts';
import {
  attentionFlopsPerToken,
  curriculumSchedule,
  decompose,
  decomposedBatchAt,
  scheduleAttentionFlopsPerToken,
  validateBuckets,
} from '../decomposition.ts';
import { JobInputError } from '../errors.ts';
import type { MixtureJobSpec, PretrainJob, PretrainResult, TrainerIO, TrainResult } from '../jobs.ts';
import { checkMultipliers, isIdentity } from '../mixing/reweight.ts';
import { trainStepWithRowNll } from '../mixing/row-loss-step.ts';
import { loadMixtureCheckpoint, MIXTURE_STATE_FILE, MixtureRun } from '../mixing/run.ts';
import { readModelDir } from '../checkpoint.ts';
import type { ModelConfig } from '../config.ts';
import { modelFromWeights, type GptModel } from '../gpt.ts';
import { lrAt } from '../optim.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { trainStep } from '../train-step.ts';
import { runTraining, type TrainingKind, type TrainingSession } from './kit.ts';

/** The fields a pretrain result adds to the kit's. */
type PretrainExtra = Omit<PretrainResult, keyof TrainResult>;

/**
 * Runs a pretraining job: resumes from `paths.resumeFrom` when given (else starts from
 * `paths.initFrom` or a fresh seeded init), trains to `settings.steps`, checkpoints every
 * `checkpointEvery` steps and at the end, and writes the model directory. Returns null when stopped
 * early by `io.stopRequested()` (after writing a checkpoint of the last completed step).
 *
 * Batches: by default, random `context + 1` windows of all documents concatenated. With
 * `settings.mixture`, each row's domain is drawn from the mixture policy's weights and its window from
 * that domain's documents; the policy sees per-domain losses every `updateEvery` steps, a `mixture`
 * message reports its weights at the start and after each update, and its state is checkpointed in
 * `mixture.json`; a policy that scores tokens against a reference model (DoReMi) runs the frozen model of
 * `paths.referenceModel` forward on every batch too. With `settings.sequenceLength` (dataset decomposition), each step trains on sequences
 * of one document each, of a length the curriculum picks, with the same tokens per step.
 */
export async function runPretrain(job: PretrainJob, io: TrainerIO): Promise<PretrainResult | null> {
  const s = job.settings;
  const schedule = { lr: s.lr, warmupSteps: s.warmupSteps, totalSteps: s.steps, minLrRatio: s.minLrRatio };
  const held: HeldModels = {};
  try {
    return await runTraining(
      {
        model: job.model,
        paths: job.paths,
        steps: s.steps,
        checkpointEvery: s.checkpointEvery,
        seed: s.seed,
        backend: s.backend,
        weightDecay: s.weightDecay,
        gradClip: s.gradClip,
        lrAt: (step) => lrAt(step, schedule),
      },
      io,
      pretrainKind(job, undefined, held),
    );
  } finally {
    held.reference?.dispose();
  }
}

/** Models a training kind loads besides the trained one (DoReMi's reference), disposed by its caller after training. */
export interface HeldModels {
  reference?: GptModel;
}

/**
 * The frozen reference of a mixture that scores tokens against one (DoReMi): the model in `paths.referenceModel`,
 * which must share the trained model's tokenizer and cover its context.
 */
async function loadReference(dir: string | undefined, method: string, config: Required<ModelConfig>, tokenizer: Tokenizer): Promise<GptModel> {
  if (dir === undefined) {
    throw new JobInputError(`job.paths.referenceModel: missing; mixture '${method}' scores each token's loss against a reference model (recipes: with.mixture.reference)`);
  }
  const ref = await readModelDir(dir);
  if (ref.tokenizer.vocabSize !== tokenizer.vocabSize) {
    throw new JobInputError(`job.paths.referenceModel: ${dir} has a vocabulary of ${ref.tokenizer.vocabSize} tokens, the trained model ${tokenizer.vocabSize}`);
  }
  if (ref.config.context < config.context) {
    throw new JobInputError(`job.paths.referenceModel: ${dir} has context ${ref.config.context}, shorter than the trained model's ${config.context}`);
  }
  return modelFromWeights(ref.config, ref.weights);
}

/**
 * What an upsample (ml/trainer/upsample.ts) changes in pretraining's batches: each domain's sampling weight
 * multiplied by `domains` (./reweight.ts). Every multiplier 1 changes nothing: the pretrain's own batches.
 */
export interface UpsampleSampling {
  domains: Record<string, number> | undefined;
  /** The field path unknown domains are reported under. */
  where: string;
  /** Receives the mixture the first step of this process samples from. */
  report(mixture: Record<string, number>): void;
}

/** Each domain's share of the stream's tokens (documents without a domain under `default`). */
function tokenShares(docs: readonly ShardDoc[], stream: TokenStream): Record<string, number> {
  const tokens: Record<string, number> = {};
  docs.forEach((d, i) => {
    const key = d.domain ?? DEFAULT_DOMAIN;
    tokens[key] = (tokens[key] ?? 0) + stream.docs[i]!.end - stream.docs[i]!.start;
  });
  const names = Object.keys(tokens).sort();
  return Object.fromEntries(names.map((n) => [n, tokens[n]! / stream.tokens.length]));
}

/**
 * Pretraining's data and loss step, for the kit. With `upsample`, domains are reweighted: a pretrain that drew
 * windows of the concatenation draws them by domain instead (a static mixture of the token shares, reweighted),
 * a pretrain with a mixture keeps its policy and reweights what it samples.
 */
export function pretrainKind(job: PretrainJob, upsample?: UpsampleSampling, held: HeldModels = {}): TrainingKind<PretrainExtra> {
  const { settings, paths } = job;
  return {
    async prepare({ backend, config, tokenizer, resumeFrom, io }): Promise<TrainingSession<PretrainExtra>> {
      const docs = await readDocs(paths.shards);
      if (docs.length === 0) throw new JobInputError(`job.shards: no documents in ${paths.shards.join(', ')}`);
      const stream = buildTokenStream(docs, tokenizer);
      await io.send({ type: 'log', level: 'info', msg: `backend ${backend}; ${docs.length} docs, ${stream.tokens.length} tokens` });
      if (settings.mixture !== undefined && settings.sequenceLength !== undefined) {
        throw new JobInputError('job.sequenceLength: cannot be combined with job.mixture yet; use one of them');
      }
      const shares = upsample !== undefined ? tokenShares(docs, stream) : {};
      if (upsample !== undefined) {
        if (settings.sequenceLength !== undefined) throw new JobInputError('job.sequenceLength: upsample continues window or mixture sampling only');
        checkMultipliers(Object.keys(shares), upsample.domains ?? {}, upsample.where);
      }
      const reweighting = upsample !== undefined && !isIdentity(upsample.domains);
      const { batchSize: B, seed } = settings;
      const T = config.context;
      // Reweighting a pretrain that had no mixture: by domain from here on, from each domain's token share.
      const mixSpec: MixtureJobSpec | undefined = settings.mixture ?? (reweighting ? { method: 'static' } : undefined);
      const hasSaved = resumeFrom !== undefined && (settings.mixture !== undefined || (await exists(join(resumeFrom, MIXTURE_STATE_FILE))));
      const mix =
        mixSpec === undefined
          ? null
          : MixtureRun.create(mixSpec, docs, tokenizer, {
              seed,
              batchSize: B,
              context: T,
              saved: hasSaved ? await loadMixtureCheckpoint(resumeFrom!) : undefined,
              ...(reweighting ? { reweight: upsample.domains!, reweightWhere: upsample.where } : {}),
            });
      const reference = mix?.needsReference ? await loadReference(paths.referenceModel, mix.policy.method, config, tokenizer) : undefined;
      held.reference = reference;
      const dd = settings.sequenceLength === undefined ? null : decomposition(job, stream, config);
      if (mix !== null) await io.send({ type: 'log', level: 'info', msg: `mixture ${mix.policy.method} over domains ${mix.names.join(', ')}` });
      if (dd !== null) {
        const { buckets, droppedTokens, keptTokens } = dd.decomposition;
        await io.send({
          type: 'log',
          level: 'info',
          msg: `dataset decomposition: buckets ${buckets.map((b, i) => `${b}×${dd.decomposition.sequences[i]!.length}`).join(', ')}; ${keptTokens} tokens kept, ${droppedTokens} in chunks below ${buckets[0]} dropped`,
        });
      }
      // Mixture and decomposition batches depend on more than (seed, step): tally what they read as they go.
      const counter = mix !== null || dd !== null ? new ConsumedCounter() : null;

      return {
        async start(step) {
          const weights = mix !== null ? mix.policy.weights() : upsample !== undefined ? shares : null;
          if (weights !== null) await io.send({ type: 'mixture', step, weights });
          if (weights !== null) upsample?.report(weights);
        },
        async trainStep(model, opt, step, hyper) {
          if (mix !== null) {
            const batch = mix.batchAt(step);
            const out = await withTensors(batch.inputs, batch.targets, B, T, (x, y) => trainStepWithRowNll(model, opt, x, y, hyper, reference));
            mix.recordStep(step + 1, batch, out.rowNll, out.rowExcess);
            mix.countConsumed(counter!, batch);
            return { loss: out.loss, tokens: B * T };
          }
          if (dd !== null) {
            const batch = decomposedBatchAt(stream, dd.decomposition, dd.schedule, seed, step, B * T, tokenizer.eosId);
            const { loss } = await withTensors(batch.inputs, batch.targets, batch.rows, batch.length, (x, y) => trainStep(model, opt, x, y, hyper));
            batch.docs.forEach((d, r) => counter!.add(stream.docs[d]!, batch.starts[r]!, batch.starts[r]! + batch.length));
            return { loss, tokens: B * T };
          }
          const batch = batchAt(stream, seed, step, B, T);
          const { loss } = await withTensors(batch.inputs, batch.targets, B, T, (x, y) => trainStep(model, opt, x, y, hyper));
          return { loss, tokens: B * T };
        },
        async afterStep(step, model) {
          if (mix === null) return;
          const weights = await mix.afterStep(step, model);
          if (weights !== null) await io.send({ type: 'mixture', step, weights });
        },
        checkpointFiles(fromStep, toStep) {
          const files: Record<string, unknown> = {
            [CONSUMED_FILE]: { fromStep, toStep, docs: counter !== null ? counter.drain() : consumedDocs(stream, seed, fromStep, toStep, B, T) },
          };
          if (mix !== null) files[MIXTURE_STATE_FILE] = mix.checkpoint();
          return files;
        },
        result() {
          const extra: PretrainExtra = {};
          if (mix !== null) {
            extra.mixtureWeights = mix.policy.finalWeights?.() ?? mix.policy.weights();
            extra.domainLoss = mix.domainLoss();
          }
          if (dd !== null) {
            extra.attentionFlopsPerToken = scheduleAttentionFlopsPerToken(dd.schedule, config.layers, config.dModel);
            extra.concatChunkAttentionFlopsPerToken = attentionFlopsPerToken(T, config.layers, config.dModel);
          }
          return extra;
        },
      };
    },
  };
}

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

/** Runs `f` on int32 tensors `[rows, length]` of `inputs` and `targets`, disposing them after. */
async function withTensors<R>(
  inputs: Int32Array,
  targets: Int32Array,
  rows: number,
  length: number,
  f: (x: tf.Tensor2D, y: tf.Tensor2D) => Promise<R>,
): Promise<R> {
  const x = tf.tensor2d(inputs, [rows, length], 'int32');
  const y = tf.tensor2d(targets, [rows, length], 'int32');
  try {
    return await f(x, y);
  } finally {
    x.dispose();
    y.dispose();
  }
}

/** Validates `settings.sequenceLength` against the model and batch, decomposes the stream and lays out the curriculum. */
function decomposition(job: PretrainJob, stream: TokenStream, config: { context: number }) {
  const { settings } = job;
  const spec = settings.sequenceLength!;
  const buckets = validateBuckets(spec.buckets, config.context, settings.batchSize, 'job.sequenceLength');
  const d = decompose(stream, buckets);
  if (d.keptTokens === 0) {
    throw new JobInputError(`job.sequenceLength.buckets: every document is shorter than the smallest bucket ${buckets[0]}; add a shorter bucket`);
  }
  return { decomposition: d, schedule: curriculumSchedule(d, settings.steps, settings.seed, spec.cycles ?? 1) };
}
