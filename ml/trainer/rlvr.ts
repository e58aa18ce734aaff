/**
 * `rlvr` jobs: GRPO with verifiable rewards on the trainer kit (./kit.ts: resume, checkpoints, graceful stop,
 * progress), starting from the model in `paths.initFrom`, which also stays loaded, frozen, as the KL
 * reference. Each update (ml/posttrain/rollout.ts for the pure parts):
 * 1. the step's prompts, walked in epoch orders seeded by (seed, epoch) as sft walks its rows;
 * 2. `samplesPerPrompt` completions of each from the current policy (π_old), sampled with the seed
 *    (seed, step), so a resumed run samples what an uninterrupted one would from the same weights;
 * 3. the verifier's rewards and group advantages, groups whose rewards all agree dropped (when every group
 *    is, the step makes no update but still counts and reports);
 * 4. one update of ml/posttrain/grpo.ts's loss on the kept samples: the clipped ratio loss + β·KL to the
 *    reference, token mean over their response tokens. Log-probs are of the logits / temperature, as sampled.
 * Per-step series (mean reward, accuracy, KL of π_old to the reference over every sample, response length,
 * groups kept) go out as `metrics` messages and into each checkpoint, so a resumed run reports them all.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { rowOfDoc, type AnswerRow } from '../../datasets/posttrain/rows.ts';
import { readModelDir } from '../checkpoint.ts';
import { readJson } from '../checkpoint-io.ts';
import { sameArchitecture } from '../config.ts';
import { readDocs } from '../data.ts';
import { JobInputError } from '../errors.ts';
import { generateIds } from '../generate.ts';
import { forward, modelFromWeights, type GptModel } from '../gpt.ts';
import { RLVR_SERIES, type RlvrJob, type RlvrResult, type RlvrSeries, type TrainerIO, type TrainResult } from '../jobs.ts';
import { grpoLoss, klEstimate, tokenMean, type GrpoLossOptions, type KlEstimator } from '../posttrain/grpo.ts';
import { epochOrder } from '../posttrain/epoch-order.ts';
import { maskedBatchTensors, tokenLogprobs } from '../posttrain/logprobs.ts';
import { rolloutBatch, rolloutOf, scoreStep, stepPrompts, type Rollout, type ScoredStep } from '../posttrain/rollout.ts';
import { chatPromptIds } from '../posttrain/sft-loss.ts';
import { linearLrAt, type AdamW } from '../optim.ts';
import { hashSeed } from '../random.ts';
import { applyUpdate } from '../train-step.ts';
import { runTraining, type StepHyper, type TrainingKind } from './kit.ts';
import { warmupSteps } from './sft.ts';

type RlvrExtra = Omit<RlvrResult, keyof TrainResult>;
type Series = Record<RlvrSeries, Array<[number, number]>>;

/** The per-step series in each checkpoint, up to its step. */
export const RLVR_SERIES_FILE = 'rlvr-series.json';
const point = z.tuple([z.number(), z.number()]);
const seriesFileSchema = z.object(Object.fromEntries(RLVR_SERIES.map((name) => [name, z.array(point)])) as Record<RlvrSeries, z.ZodArray<typeof point>>);

/** Runs an rlvr job (see the file header); null when stopped early, after checkpointing. */
export async function runRlvr(job: RlvrJob, io: TrainerIO): Promise<RlvrResult | null> {
  const s = job.settings;
  if (job.paths.initFrom === undefined) throw new JobInputError('job.paths.initFrom: rlvr tunes an existing model and holds it as its KL reference: give its model directory');
  const held: { reference?: GptModel } = {};
  const schedule = { lr: s.lr, warmupSteps: warmupSteps(s.steps, s.warmupRatio), totalSteps: s.steps };
  try {
    return await runTraining(
      { model: job.model, paths: job.paths, steps: s.steps, checkpointEvery: s.checkpointEvery, seed: s.seed, backend: s.backend, weightDecay: s.weightDecay, gradClip: s.gradClip, lrAt: (step) => linearLrAt(step, schedule) },
      io,
      rlvrKind(job, held),
    );
  } finally {
    held.reference?.dispose();
  }
}

/** log π(targets | inputs) `[B, T]` of `model`'s logits divided by the sampling temperature. */
function policyLogprobs(model: GptModel, x: tf.Tensor2D, y: tf.Tensor2D, temperature: number): tf.Tensor2D {
  return tf.tidy(() => {
    const logits = forward(model, x);
    return tokenLogprobs(temperature === 1 ? logits : (tf.div(logits, temperature) as tf.Tensor3D), y);
  });
}

/**
 * One GRPO update of `model` on a step's scored rollouts: π_old and π_ref log-probs of every rollout, the KL
 * of π_old to the reference (token mean over every response, the step's reported KL), then the loss on the
 * kept samples only and one AdamW update. No kept sample: no update, loss 0 and 0 tokens trained.
 */
export async function grpoUpdate(
  model: GptModel,
  reference: GptModel,
  opt: AdamW,
  rollouts: readonly Rollout[],
  scored: Pick<ScoredStep, 'keptSamples' | 'advantages'>,
  s: { temperature: number; klEstimator: KlEstimator },
  lossOptions: GrpoLossOptions,
  hyper: StepHyper,
  padId: number,
): Promise<{ loss: number; tokens: number; kl: number }> {
  const { inputs: x, targets: y, mask } = maskedBatchTensors(rolloutBatch(rollouts, padId));
  const old = policyLogprobs(model, x, y, s.temperature);
  const ref = policyLogprobs(reference, x, y, s.temperature);
  try {
    const klT = tf.tidy(() => tokenMean(klEstimate(tf.clipByValue(tf.sub(old, ref), -40, 40), s.klEstimator), mask));
    const kl = (await klT.data())[0]!;
    klT.dispose();
    if (scored.keptSamples.length === 0) return { loss: 0, tokens: 0, kl };
    const { value, trained } = tf.tidy(() => {
      const keep = tf.tensor1d(scored.keptSamples, 'int32');
      const [xk, yk, mk] = [tf.gather(x, keep), tf.gather(y, keep), tf.gather(mask, keep)] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const fixed = { oldLogprobs: tf.gather(old, keep) as tf.Tensor2D, refLogprobs: tf.gather(ref, keep) as tf.Tensor2D, advantages: tf.tensor1d(scored.keptSamples.map((i) => scored.advantages[i]!)), mask: mk };
      const { loss, norm } = applyUpdate(model, opt, () => grpoLoss({ ...fixed, logprobs: policyLogprobs(model, xk, yk, s.temperature) }, lossOptions), hyper);
      norm.dispose();
      return { value: loss, trained: tf.sum(mk) };
    });
    const [loss, tokens] = [(await value.data())[0]!, (await trained.data())[0]!];
    tf.dispose([value, trained]);
    return { loss, tokens, kl };
  } finally {
    tf.dispose([x, y, mask, old, ref]);
  }
}

function rlvrKind(job: RlvrJob, held: { reference?: GptModel }): TrainingKind<RlvrExtra> {
  const { settings: s, paths } = job;
  const lossOptions: GrpoLossOptions = { beta: s.beta, clipLower: s.clipLower, clipHigher: s.clipHigher, klEstimator: s.klEstimator };
  return {
    async prepare({ config, tokenizer, resumeFrom, io }) {
      const rows: AnswerRow[] = [];
      for (const doc of await readDocs(paths.shards)) {
        const row = rowOfDoc('answer', doc);
        if (typeof row === 'string') throw new JobInputError(`${doc.shard}:${doc.line}: ${row}; rlvr samples {prompt, answer} rows (a dataset with shape: answer)`);
        rows.push(row);
      }
      if (rows.length === 0) throw new JobInputError(`job.shards: no rows in ${paths.shards.join(', ')}`);
      const prompts = rows.map((r) => chatPromptIds(r.prompt, tokenizer));
      const longest = prompts.reduce((best, p, i) => (p.length > prompts[best]!.length ? i : best), 0);
      // The prompt, the completion and its EOS must fit in context + 1 tokens.
      const maxNewTokens = Math.min(s.maxNewTokens, config.context - prompts[longest]!.length);
      if (maxNewTokens < 1) {
        throw new JobInputError(`row ${longest + 1}: its prompt (${prompts[longest]!.length} tokens in the chat template) leaves no room for an answer in the context (${config.context}); shorten it or raise model.context`);
      }
      const init = await readModelDir(paths.initFrom!);
      if (!sameArchitecture(init.config, config)) throw new JobInputError(`job.initFrom: ${paths.initFrom} holds a different architecture than job.model`);
      const reference = modelFromWeights(config, init.weights);
      held.reference = reference;
      const series: Series = resumeFrom === undefined ? emptySeries() : await readJson(join(resumeFrom, RLVR_SERIES_FILE), seriesFileSchema);
      await io.send({
        type: 'log',
        level: 'info',
        msg: `rlvr on ${rows.length} prompts: ${s.steps} steps of ${s.promptsPerStep} prompts × ${s.samplesPerPrompt} samples, at most ${maxNewTokens} new tokens`,
      });
      const rowAt = epochOrder(rows.length, s.seed);
      let last: Record<RlvrSeries, number> | null = null;
      return {
        async trainStep(model, opt, step, hyper) {
          const picked = stepPrompts(step, s.promptsPerStep, rowAt);
          const repeated = picked.flatMap((i) => Array.from({ length: s.samplesPerPrompt }, () => prompts[i]!));
          const completions = await generateIds(model, repeated, tokenizer.eosId, { maxNewTokens, temperature: s.temperature, topK: 0, seed: hashSeed(s.seed, step), leadingEos: false }); // the prompts carry their BOS (chatPromptIds)
          const rollouts = completions.map((c, j) => rolloutOf(repeated[j]!, c, tokenizer.eosId, maxNewTokens, config.context + 1));
          const scored = scoreStep(
            completions.map((c) => tokenizer.decode(c)),
            picked.map((i) => rows[i]!.answer),
            rollouts,
            { samplesPerPrompt: s.samplesPerPrompt, advantage: s.advantage, extraction: s.extraction, reward: s.reward },
          );
          const { loss, tokens, kl } = await grpoUpdate(model, reference, opt, rollouts, scored, s, lossOptions, hyper, tokenizer.eosId);
          last = { mean_reward: scored.meanReward, accuracy: scored.accuracy, kl, response_length: scored.responseLength, groups_kept: scored.fractionKept };
          return { loss, tokens };
        },
        async afterStep(step) {
          if (last === null) return;
          for (const name of RLVR_SERIES) series[name].push([step, last[name]]);
          await io.send({ type: 'metrics', step, values: Object.fromEntries(RLVR_SERIES.map((name) => [`train/${name}`, last![name]])) });
        },
        checkpointFiles: () => ({ [RLVR_SERIES_FILE]: series }),
        result: () => ({ rows: rows.length, series, stepsWithoutUpdate: series.groups_kept.filter(([, v]) => v === 0).length }),
      };
    },
  };
}

function emptySeries(): Series {
  return Object.fromEntries(RLVR_SERIES.map((name) => [name, []])) as unknown as Series;
}
