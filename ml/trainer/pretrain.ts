import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend.ts';
import { loadCheckpoint, readModelDir, saveCheckpoint, saveModel, type TrainState } from '../checkpoint.ts';
import { assertEmptyOrMissing, removeStaleTemps } from '../checkpoint-io.ts';
import { parseModelConfig, sameArchitecture } from '../config.ts';
import { CONSUMED_FILE } from '../consumed.ts';
import { batchAt, buildTokenStream, ConsumedCounter, consumedDocs, readDocs, type TokenStream } from '../data.ts';
import {
  attentionFlopsPerToken,
  curriculumSchedule,
  decompose,
  decomposedBatchAt,
  scheduleAttentionFlopsPerToken,
  validateBuckets,
} from '../decomposition.ts';
import { JobInputError } from '../errors.ts';
import { createModel, modelFromWeights, readWeights, type GptModel } from '../gpt.ts';
import type { PretrainJob, PretrainResult, TrainerIO } from '../jobs.ts';
import { trainStepWithRowNll } from '../mixing/row-loss-step.ts';
import { loadMixtureCheckpoint, MIXTURE_STATE_FILE, MixtureRun } from '../mixing/run.ts';
import { AdamW, lrAt } from '../optim.ts';
import { byteTokenizer } from '../tokenizer.ts';
import { trainStep } from '../train-step.ts';

/** Lets queued signals and IPC events run; the training loop otherwise never yields to I/O. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Mean of the last ≤ 10 losses: one batch's loss is too noisy to compare runs by. */
function smoothedFinalLoss(curve: Array<[number, number]>): number {
  const tail = curve.slice(-10);
  return tail.length === 0 ? NaN : tail.reduce((a, [, l]) => a + l, 0) / tail.length;
}

/**
 * Runs a pretraining job: resumes from `resumeFrom` when given (else starts from `initFrom` or a
 * fresh seeded init), trains to `job.steps`, checkpoints every `checkpointEvery` steps and at the
 * end, and writes the model directory. Returns null when stopped early by `io.stopRequested()`
 * (after writing a checkpoint of the last completed step).
 *
 * Batches: by default, random `context + 1` windows of all documents concatenated. With
 * `job.mixture`, each row's domain is drawn from the mixture policy's weights and its window from
 * that domain's documents; the policy sees per-domain losses every `updateEvery` steps, a `mixture`
 * message reports its weights at the start and after each update, and its state is checkpointed in
 * `mixture.json`. With `job.sequenceLength` (dataset decomposition), each step trains on sequences
 * of one document each, of a length the curriculum picks, with the same tokens per step.
 */
export async function runPretrain(job: PretrainJob, io: TrainerIO): Promise<PretrainResult | null> {
  const started = Date.now();
  const backend = await selectBackend(job.backend ?? 'auto');
  const tokenizer = byteTokenizer();
  const config = parseModelConfig(job.model, 'job.model');
  await assertEmptyOrMissing(job.outputDir, 'job.outputDir');
  await removeStaleTemps(job.checkpointDir);

  const docs = await readDocs(job.shards);
  if (docs.length === 0) throw new JobInputError(`job.shards: no documents in ${job.shards.join(', ')}`);
  const stream = buildTokenStream(docs, tokenizer);
  await io.send({ type: 'log', level: 'info', msg: `backend ${backend}; ${docs.length} docs, ${stream.tokens.length} tokens` });
  if (job.mixture !== undefined && job.sequenceLength !== undefined) {
    throw new JobInputError('job.sequenceLength: cannot be combined with job.mixture yet; use one of them');
  }
  const mix =
    job.mixture === undefined
      ? null
      : MixtureRun.create(job.mixture, docs, tokenizer, {
          seed: job.seed,
          batchSize: job.batchSize,
          context: config.context,
          saved: job.resumeFrom === undefined ? undefined : await loadMixtureCheckpoint(job.resumeFrom),
        });
  const dd = job.sequenceLength === undefined ? null : decomposition(job, stream, config);
  if (mix !== null) await io.send({ type: 'log', level: 'info', msg: `mixture ${mix.policy.method} over domains ${mix.names.join(', ')}` });
  if (dd !== null) {
    const { buckets, droppedTokens, keptTokens } = dd.decomposition;
    await io.send({
      type: 'log',
      level: 'info',
      msg: `dataset decomposition: buckets ${buckets.map((b, i) => `${b}×${dd.decomposition.sequences[i]!.length}`).join(', ')}; ${keptTokens} tokens kept, ${droppedTokens} in chunks below ${buckets[0]} dropped`,
    });
  }

  let model: GptModel;
  let opt: AdamW;
  let state: TrainState;
  let resumedFromStep: number | null = null;
  if (job.resumeFrom !== undefined) {
    const ck = await loadCheckpoint(job.resumeFrom);
    if (!sameArchitecture(ck.config, config)) {
      throw new JobInputError(`job.resumeFrom: ${job.resumeFrom} holds a different architecture than job.model`);
    }
    if (ck.state.seed !== job.seed) {
      throw new JobInputError(`job.resumeFrom: checkpoint seed ${ck.state.seed} differs from job.seed ${job.seed}`);
    }
    if (ck.state.step > job.steps) {
      throw new JobInputError(`job.resumeFrom: checkpoint is at step ${ck.state.step}, past job.steps ${job.steps}`);
    }
    model = modelFromWeights(config, ck.weights);
    opt = new AdamW(model.params, { weightDecay: job.weightDecay });
    opt.importState(ck.optimizer);
    state = { ...ck.state, backend };
    resumedFromStep = ck.state.step;
  } else {
    if (job.initFrom !== undefined) {
      const init = await readModelDir(job.initFrom);
      if (!sameArchitecture(init.config, config)) {
        throw new JobInputError(`job.initFrom: ${job.initFrom} holds a different architecture than job.model`);
      }
      model = modelFromWeights(config, init.weights);
    } else {
      model = createModel(config, job.seed);
    }
    opt = new AdamW(model.params, { weightDecay: job.weightDecay });
    state = { step: 0, lossCurve: [], tokensSeen: 0, backend, seed: job.seed };
  }

  const { batchSize: B, seed } = job;
  const T = config.context;
  let lastCheckpointStep = state.step;
  // Mixture and decomposition batches depend on more than (seed, step): tally what they read as they go.
  const counter = mix !== null || dd !== null ? new ConsumedCounter() : null;
  const checkpoint = async (): Promise<void> => {
    const extra: Record<string, unknown> = {
      [CONSUMED_FILE]: {
        fromStep: lastCheckpointStep,
        toStep: state.step,
        docs: counter !== null ? counter.drain() : consumedDocs(stream, seed, lastCheckpointStep, state.step, B, T),
      },
    };
    if (mix !== null) extra[MIXTURE_STATE_FILE] = mix.checkpoint();
    const dir = await saveCheckpoint(
      job.checkpointDir,
      { config, tokenizer, weights: await readWeights(model), optimizer: await opt.exportState(), state },
      extra,
    );
    lastCheckpointStep = state.step;
    await io.send({ type: 'checkpoint', step: state.step, dir, loss: state.lossCurve.at(-1)?.[1] ?? NaN });
  };

  try {
    const schedule = { lr: job.lr, warmupSteps: job.warmupSteps, totalSteps: job.steps, minLrRatio: job.minLrRatio };
    if (mix !== null) await io.send({ type: 'mixture', step: state.step, weights: mix.policy.weights() });
    while (state.step < job.steps) {
      if (io.stopRequested()) {
        if (state.step > lastCheckpointStep) await checkpoint();
        return null;
      }
      const t0 = performance.now();
      const lr = lrAt(state.step + 1, schedule);
      const step = { lr, gradClip: job.gradClip };
      let loss: number;
      if (mix !== null) {
        const batch = mix.batchAt(state.step);
        const out = await withTensors(batch.inputs, batch.targets, B, T, (x, y) => trainStepWithRowNll(model, opt, x, y, step));
        loss = out.loss;
        mix.recordStep(state.step + 1, batch, out.rowNll);
        mix.countConsumed(counter!, batch);
      } else if (dd !== null) {
        const batch = decomposedBatchAt(stream, dd.decomposition, dd.schedule, seed, state.step, B * T, tokenizer.eosId);
        ({ loss } = await withTensors(batch.inputs, batch.targets, batch.rows, batch.length, (x, y) => trainStep(model, opt, x, y, step)));
        batch.docs.forEach((d, r) => counter!.add(stream.docs[d]!, batch.starts[r]!, batch.starts[r]! + batch.length));
      } else {
        const batch = batchAt(stream, seed, state.step, B, T);
        const inputs = tf.tensor2d(batch.inputs, [B, T], 'int32');
        const targets = tf.tensor2d(batch.targets, [B, T], 'int32');
        try {
          ({ loss } = await trainStep(model, opt, inputs, targets, step));
        } finally {
          inputs.dispose();
          targets.dispose();
        }
      }
      if (!Number.isFinite(loss)) {
        // Deterministic: a retry would diverge at the same step, so this is permanent.
        throw new JobInputError(`training diverged: loss is ${loss} at step ${state.step + 1}; lower job.lr`);
      }
      state.step++;
      state.lossCurve.push([state.step, loss]);
      state.tokensSeen += B * T;
      const secs = (performance.now() - t0) / 1000;
      await io.send({ type: 'progress', step: state.step, totalSteps: job.steps, loss, lr, tokensPerSec: (B * T) / secs });
      if (mix !== null) {
        const weights = await mix.afterStep(state.step, model);
        if (weights !== null) await io.send({ type: 'mixture', step: state.step, weights });
      }
      if (state.step % job.checkpointEvery === 0 || state.step === job.steps) await checkpoint();
      await yieldToEventLoop();
    }
    const finalLoss = smoothedFinalLoss(state.lossCurve);
    await assertEmptyOrMissing(job.outputDir, 'job.outputDir');
    await saveModel(job.outputDir, { config, tokenizer, weights: await readWeights(model), state, finalLoss });
    const result: PretrainResult = {
      steps: state.step,
      finalLoss,
      lossCurve: state.lossCurve,
      backend,
      tokensSeen: state.tokensSeen,
      resumedFromStep,
      wallMs: Date.now() - started,
    };
    if (mix !== null) {
      result.mixtureWeights = mix.policy.weights();
      result.domainLoss = mix.domainLoss();
    }
    if (dd !== null) {
      result.attentionFlopsPerToken = scheduleAttentionFlopsPerToken(dd.schedule, config.layers, config.dModel);
      result.concatChunkAttentionFlopsPerToken = attentionFlopsPerToken(T, config.layers, config.dModel);
    }
    return result;
  } finally {
    opt.dispose();
    model.dispose();
  }
}

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

/** Validates `job.sequenceLength` against the model and batch, decomposes the stream and lays out the curriculum. */
function decomposition(job: PretrainJob, stream: TokenStream, config: { context: number }) {
  const spec = job.sequenceLength!;
  const buckets = validateBuckets(spec.buckets, config.context, job.batchSize, 'job.sequenceLength');
  const d = decompose(stream, buckets);
  if (d.keptTokens === 0) {
    throw new JobInputError(`job.sequenceLength.buckets: every document is shorter than the smallest bucket ${buckets[0]}; add a shorter bucket`);
  }
  return { decomposition: d, schedule: curriculumSchedule(d, job.steps, job.seed, spec.cycles ?? 1) };
}
