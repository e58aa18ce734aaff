/**
 * The trainer kit: the part of every training kind that is not its data or its loss. It picks the
 * backend, starts the model (resumed from a checkpoint, initialised from a model directory, or fresh
 * and seeded), runs the step loop with the learning-rate schedule, reports `progress` after every
 * step, checkpoints every `checkpointEvery` steps and at the end (the format ml/checkpoint.ts
 * reads back, plus the kind's own files), stops gracefully when asked (checkpoint of the last
 * completed step, then null), refuses a diverged loss, and writes the final model directory.
 *
 * A kind ({@link TrainingKind}) supplies only what differs: its batches and loss step, the files it
 * adds to a checkpoint, and optional per-step work (online updates, extra metrics) and result fields.
 * `ml/trainer/pretrain.ts` is the first user.
 */
import { backendInfo, selectBackend, type BackendPreference } from '../backend.ts';
import { loadCheckpoint, readModelDir, saveCheckpoint, saveModel, type TrainState } from '../checkpoint.ts';
import { assertEmptyOrMissing, removeStaleTemps } from '../checkpoint-io.ts';
import { parseModelConfig, sameArchitecture, type ModelConfig } from '../config.ts';
import { JobInputError } from '../errors.ts';
import { createModel, modelFromWeights, readWeights, type GptModel } from '../gpt.ts';
import type { TrainerIO, TrainerPaths, TrainResult } from '../jobs.ts';
import { AdamW } from '../optim.ts';
import { byteTokenizer, type Tokenizer } from '../tokenizer.ts';

/** What the kit needs of a job, whatever its kind. */
export interface TrainingLoopSpec {
  model: ModelConfig;
  paths: TrainerPaths;
  /** Optimizer updates to reach (a resumed run continues to it). */
  steps: number;
  checkpointEvery: number;
  /** The fresh init's seed; a checkpoint written with another seed is refused. */
  seed: number;
  backend?: BackendPreference;
  weightDecay: number;
  /** Max global gradient norm of each update. */
  gradClip: number;
  /** The learning rate of update number `step` (1-based). */
  lrAt(step: number): number;
}

/** What the kit hands a kind before the model exists. */
export interface TrainingSetup {
  backend: string;
  config: Required<ModelConfig>;
  tokenizer: Tokenizer;
  /** The checkpoint this run resumes from, if any (a kind reads its own files from it). */
  resumeFrom: string | undefined;
  io: TrainerIO;
}

/** One update's hyper-parameters, as the kit's schedule gives them. */
export interface StepHyper {
  lr: number;
  gradClip: number;
}

/** A kind's part of one run, made by {@link TrainingKind.prepare}. */
export interface TrainingSession<X extends object> {
  /**
   * Trains update number `step + 1` (`step` = updates completed, 0-based) on the kind's batch for it
   * and returns the batch loss (nats/token, before the update) and the target tokens it trained on.
   */
  trainStep(model: GptModel, opt: AdamW, step: number, hyper: StepHyper): Promise<{ loss: number; tokens: number }>;
  /** Once the model is ready, before the first step of this process (`step` = updates completed). */
  start?(step: number): Promise<void>;
  /** After update `step` (1-based) and its progress message, before its checkpoint: online updates, extra metrics. */
  afterStep?(step: number, model: GptModel): Promise<void>;
  /** JSON files written into the checkpoint of `toStep` beside the weights (e.g. what updates fromStep+1…toStep read). */
  checkpointFiles?(fromStep: number, toStep: number): Record<string, unknown>;
  /** The kind's own fields of the result (`{}` when it has none). */
  result(): X;
}

/** A training kind: how it prepares its data (and anything else it needs) once the backend and tokenizer are known. */
export interface TrainingKind<X extends object> {
  prepare(setup: TrainingSetup): Promise<TrainingSession<X>>;
}

/** Lets queued signals and IPC events run; the training loop otherwise never yields to I/O. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Mean of the last ≤ 10 losses: one batch's loss is too noisy to compare runs by. */
function smoothedFinalLoss(curve: Array<[number, number]>): number {
  const tail = curve.slice(-10);
  return tail.length === 0 ? NaN : tail.reduce((a, [, l]) => a + l, 0) / tail.length;
}

interface Started {
  model: GptModel;
  opt: AdamW;
  state: TrainState;
  resumedFromStep: number | null;
}

/** The model and optimizer: from `paths.resumeFrom` (checked against the job), else `paths.initFrom`, else a fresh seeded init. */
async function startModel(spec: TrainingLoopSpec, config: Required<ModelConfig>, backend: string): Promise<Started> {
  const { resumeFrom, initFrom } = spec.paths;
  if (resumeFrom !== undefined) {
    const ck = await loadCheckpoint(resumeFrom);
    if (!sameArchitecture(ck.config, config)) {
      throw new JobInputError(`job.resumeFrom: ${resumeFrom} holds a different architecture than job.model`);
    }
    if (ck.state.seed !== spec.seed) {
      throw new JobInputError(`job.resumeFrom: checkpoint seed ${ck.state.seed} differs from job.seed ${spec.seed}`);
    }
    if (ck.state.step > spec.steps) {
      throw new JobInputError(`job.resumeFrom: checkpoint is at step ${ck.state.step}, past job.steps ${spec.steps}`);
    }
    const model = modelFromWeights(config, ck.weights);
    const opt = new AdamW(model.params, { weightDecay: spec.weightDecay });
    opt.importState(ck.optimizer);
    return { model, opt, state: { ...ck.state, backend }, resumedFromStep: ck.state.step };
  }
  let model: GptModel;
  if (initFrom !== undefined) {
    const init = await readModelDir(initFrom);
    if (!sameArchitecture(init.config, config)) {
      throw new JobInputError(`job.initFrom: ${initFrom} holds a different architecture than job.model`);
    }
    model = modelFromWeights(config, init.weights);
  } else {
    model = createModel(config, spec.seed);
  }
  const opt = new AdamW(model.params, { weightDecay: spec.weightDecay });
  return { model, opt, state: { step: 0, lossCurve: [], tokensSeen: 0, backend, seed: spec.seed }, resumedFromStep: null };
}

/**
 * Runs a training job of one kind to `spec.steps`. Returns null when stopped early by
 * `io.stopRequested()`, after checkpointing the last completed step (if it was not checkpointed yet).
 */
export async function runTraining<X extends object>(spec: TrainingLoopSpec, io: TrainerIO, kind: TrainingKind<X>): Promise<(TrainResult & X) | null> {
  const started = Date.now();
  const backend = await selectBackend(spec.backend ?? 'auto');
  const { tensorflowVersion, device } = backendInfo();
  const tokenizer = byteTokenizer();
  const config = parseModelConfig(spec.model, 'job.model');
  const { checkpointDir, outputDir, resumeFrom } = spec.paths;
  await assertEmptyOrMissing(outputDir, 'job.outputDir');
  await removeStaleTemps(checkpointDir);
  const session = await kind.prepare({ backend, config, tokenizer, resumeFrom, io });

  const { model, opt, state, resumedFromStep } = await startModel(spec, config, backend);
  let lastCheckpointStep = state.step;
  const checkpoint = async (): Promise<void> => {
    const extra = session.checkpointFiles?.(lastCheckpointStep, state.step) ?? {};
    const dir = await saveCheckpoint(checkpointDir, { config, tokenizer, weights: await readWeights(model), optimizer: await opt.exportState(), state }, extra);
    lastCheckpointStep = state.step;
    await io.send({ type: 'checkpoint', step: state.step, dir, loss: state.lossCurve.at(-1)?.[1] ?? NaN });
  };

  try {
    await session.start?.(state.step);
    while (state.step < spec.steps) {
      if (io.stopRequested()) {
        if (state.step > lastCheckpointStep) await checkpoint();
        return null;
      }
      const t0 = performance.now();
      const lr = spec.lrAt(state.step + 1);
      const { loss, tokens } = await session.trainStep(model, opt, state.step, { lr, gradClip: spec.gradClip });
      if (!Number.isFinite(loss)) {
        // Deterministic: a retry would diverge at the same step, so this is permanent.
        throw new JobInputError(`training diverged: loss is ${loss} at step ${state.step + 1}; lower job.lr`);
      }
      state.step++;
      state.lossCurve.push([state.step, loss]);
      state.tokensSeen += tokens;
      const secs = (performance.now() - t0) / 1000;
      await io.send({ type: 'progress', step: state.step, totalSteps: spec.steps, loss, lr, tokensPerSec: tokens / secs });
      await session.afterStep?.(state.step, model);
      if (state.step % spec.checkpointEvery === 0 || state.step === spec.steps) await checkpoint();
      await yieldToEventLoop();
    }
    const finalLoss = smoothedFinalLoss(state.lossCurve);
    await assertEmptyOrMissing(outputDir, 'job.outputDir');
    await saveModel(outputDir, { config, tokenizer, weights: await readWeights(model), state, finalLoss, runtime: { tensorflowVersion, device } });
    const base: TrainResult = {
      steps: state.step,
      finalLoss,
      lossCurve: state.lossCurve,
      backend,
      tensorflowVersion,
      device,
      tokensSeen: state.tokensSeen,
      resumedFromStep,
      wallMs: Date.now() - started,
    };
    return { ...base, ...session.result() };
  } finally {
    opt.dispose();
    model.dispose();
  }
}
