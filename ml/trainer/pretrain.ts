import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend.ts';
import { loadCheckpoint, readModelDir, saveCheckpoint, saveModel, type TrainState } from '../checkpoint.ts';
import { assertEmptyOrMissing, removeStaleTemps } from '../checkpoint-io.ts';
import { parseModelConfig, sameArchitecture } from '../config.ts';
import { batchAt, buildTokenStream, consumedDocs, readDocs } from '../data.ts';
import { JobInputError } from '../errors.ts';
import { createModel, modelFromWeights, readWeights, type GptModel } from '../gpt.ts';
import type { ChildMessage, PretrainJob, PretrainResult } from '../jobs.ts';
import { AdamW, lrAt } from '../optim.ts';
import { byteTokenizer } from '../tokenizer.ts';
import { trainStep } from '../train-step.ts';

/** How the training loop talks to the outside world (the child's IPC, or a test). */
export interface TrainerIO {
  send(m: ChildMessage): Promise<void>;
  /** Polled between steps: true once a graceful stop (SIGTERM) was requested. */
  stopRequested(): boolean;
}

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
  const checkpoint = async (): Promise<void> => {
    const dir = await saveCheckpoint(
      job.checkpointDir,
      { config, tokenizer, weights: await readWeights(model), optimizer: await opt.exportState(), state },
      {
        'consumed.json': {
          fromStep: lastCheckpointStep,
          toStep: state.step,
          docs: consumedDocs(stream, seed, lastCheckpointStep, state.step, B, T),
        },
      },
    );
    lastCheckpointStep = state.step;
    await io.send({ type: 'checkpoint', step: state.step, dir, loss: state.lossCurve.at(-1)?.[1] ?? NaN });
  };

  try {
    const schedule = { lr: job.lr, warmupSteps: job.warmupSteps, totalSteps: job.steps, minLrRatio: job.minLrRatio };
    while (state.step < job.steps) {
      if (io.stopRequested()) {
        if (state.step > lastCheckpointStep) await checkpoint();
        return null;
      }
      const t0 = performance.now();
      const batch = batchAt(stream, seed, state.step, B, T);
      const lr = lrAt(state.step + 1, schedule);
      const inputs = tf.tensor2d(batch.inputs, [B, T], 'int32');
      const targets = tf.tensor2d(batch.targets, [B, T], 'int32');
      let loss: number;
      try {
        ({ loss } = await trainStep(model, opt, inputs, targets, { lr, gradClip: job.gradClip }));
      } finally {
        inputs.dispose();
        targets.dispose();
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
      if (state.step % job.checkpointEvery === 0 || state.step === job.steps) await checkpoint();
      await yieldToEventLoop();
    }
    const finalLoss = smoothedFinalLoss(state.lossCurve);
    await assertEmptyOrMissing(job.outputDir, 'job.outputDir');
    await saveModel(job.outputDir, { config, tokenizer, weights: await readWeights(model), state, finalLoss });
    return {
      steps: state.step,
      finalLoss,
      lossCurve: state.lossCurve,
      backend,
      tokensSeen: state.tokensSeen,
      resumedFromStep,
      wallMs: Date.now() - started,
    };
  } finally {
    opt.dispose();
    model.dispose();
  }
}
