/**
 * `dpo` and `dpo-reference` jobs. The reference job scores every preference pair once with the frozen reference
 * model (the stage's input model) and writes the log-probs file the activity commits as an artifact; the dpo job
 * trains the policy, started from that same model, with the trainer kit (./kit.ts: resume, checkpoints, graceful
 * stop, progress) on the DPO family of losses (ml/posttrain/dpo-loss.ts), the reference's log-probs read from that
 * file, never recomputed. Pairs are walked epoch by epoch (ml/posttrain/epoch-order.ts); each step sends its batch
 * metrics (`train/rewards/*`) and checkpoints carry their history, so a resumed run's result covers every step.
 */
import { readFile, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { rowOfDoc, type PreferenceRow } from '../../datasets/posttrain/rows.ts';
import { selectBackend } from '../backend.ts';
import { loadModel } from '../checkpoint.ts';
import { readDocs } from '../data.ts';
import { JobInputError } from '../errors.ts';
import type { DpoJob, DpoReferenceJob, DpoReferenceResult, DpoResult, DpoStepMetrics, TrainerIO, TrainResult } from '../jobs.ts';
import { linearLrAt } from '../optim.ts';
import { dpoTerms, logprobReduction, needsReference, type DpoOptions } from '../posttrain/dpo-loss.ts';
import { epochOrder } from '../posttrain/epoch-order.ts';
import { maskedBatchTensors } from '../posttrain/logprobs.ts';
import { pairBatch, pairExamples, pairLogprobs, referenceLogprobs, referenceLogprobsSchema, referenceTensors, responseTokens, rowsSha256, type PairExamples, type ReferenceLogprobs } from '../posttrain/preference.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { applyUpdate } from '../train-step.ts';
import { runTraining, type TrainingKind } from './kit.ts';
import { warmupSteps } from './sft.ts';

type DpoExtra = Omit<DpoResult, keyof TrainResult>;

/** The metric curves a dpo stage records, by the names lineage keeps them under. */
export const DPO_CURVES = {
  chosenReward: 'train/rewards/chosen',
  rejectedReward: 'train/rewards/rejected',
  rewardMargin: 'train/rewards/margin',
  accuracy: 'train/rewards/accuracy',
} as const satisfies Record<keyof DpoStepMetrics, string>;

/** The checkpoint file holding every step's metrics up to the checkpoint. */
const METRICS_FILE = 'dpo-metrics.json';

/** The preference rows of `shards` as pair examples, each side with at least one response token, or a JobInputError naming the row. */
async function readPairs(shards: readonly string[], tokenizer: Tokenizer, context: number): Promise<PairExamples[]> {
  const pairs: PairExamples[] = [];
  for (const doc of await readDocs(shards)) {
    const row = rowOfDoc('preference', doc);
    if (typeof row === 'string') throw new JobInputError(`${doc.shard}:${doc.line}: ${row}; dpo trains on {prompt, chosen, rejected} rows (a dataset with shape: preference)`);
    const pair = pairExamples(row satisfies PreferenceRow, tokenizer, context + 1);
    if (responseTokens(pair.chosen) === 0 || responseTokens(pair.rejected) === 0) {
      throw new JobInputError(`${doc.shard}:${doc.line}: its prompt fills the whole context (${context} tokens), leaving no response token to compare; shorten it or raise model.context`);
    }
    pairs.push(pair);
  }
  if (pairs.length === 0) throw new JobInputError(`job.shards: no rows in ${shards.join(', ')}`);
  return pairs;
}

/** Runs a dpo-reference job: the reference model's log-probs of every pair, written to `job.outputFile`. */
export async function runDpoReference(job: DpoReferenceJob, io: TrainerIO): Promise<DpoReferenceResult | null> {
  const backend = await selectBackend(job.backend ?? 'auto');
  const { model, tokenizer } = await loadModel(job.modelDir);
  try {
    const pairs = await readPairs(job.shards, tokenizer, model.config.context);
    await io.send({ type: 'log', level: 'info', msg: `dpo: reference log-probs of ${pairs.length} pairs` });
    let stopped = false;
    const ref = await referenceLogprobs(model, pairs, tokenizer.eosId, async (done) => {
      if (io.stopRequested()) {
        stopped = true;
        throw new Error('stopped');
      }
      await io.send({ type: 'log', level: 'info', msg: `dpo: reference ${done}/${pairs.length} pairs` });
    }).catch((err: unknown) => {
      if (stopped) return null;
      throw err;
    });
    if (ref === null) return null;
    await writeFile(job.outputFile, `${JSON.stringify(ref)}\n`);
    return { pairs: pairs.length, backend };
  } finally {
    model.dispose();
  }
}

/** Reads and checks a reference file against the pairs it must describe. */
async function readReference(file: string, pairs: readonly PairExamples[]): Promise<ReferenceLogprobs> {
  const parsed = referenceLogprobsSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new JobInputError(`job.paths.reference: ${file} is not a dpo reference file: ${parsed.error.issues[0]?.message ?? ''}`);
  const ref = parsed.data;
  if (ref.pairs !== pairs.length || ref.rowsSha256 !== rowsSha256(pairs)) {
    throw new JobInputError(`job.paths.reference: ${file} holds the log-probs of other rows (${ref.pairs} pairs) than job.shards (${pairs.length})`);
  }
  return ref;
}

/** Runs a dpo job (see the file header); null when stopped early, after checkpointing. */
export function runDpo(job: DpoJob, io: TrainerIO): Promise<DpoResult | null> {
  const s = job.settings;
  if (job.paths.initFrom === undefined) throw new JobInputError('job.paths.initFrom: dpo tunes an existing model: give its model directory (also the reference)');
  if (needsReference(s.lossType) && job.paths.reference === undefined) throw new JobInputError(`job.paths.reference: lossType ${s.lossType} needs the reference model's log-probs (a dpo-reference job's file)`);
  const schedule = { lr: s.lr, warmupSteps: warmupSteps(s.steps, s.warmupRatio), totalSteps: s.steps };
  return runTraining(
    { model: job.model, paths: job.paths, steps: s.steps, checkpointEvery: s.checkpointEvery, seed: s.seed, backend: s.backend, weightDecay: s.weightDecay, gradClip: s.gradClip, lrAt: (step) => linearLrAt(step, schedule) },
    io,
    dpoKind(job),
  );
}

/** Means of the last ≤ 10 steps' metrics (one batch is noisy). */
function tailMean(history: ReadonlyArray<[number, DpoStepMetrics]>): DpoStepMetrics {
  const tail = history.slice(-10).map(([, m]) => m);
  const mean = (k: keyof DpoStepMetrics) => (tail.length === 0 ? Number.NaN : tail.reduce((a, m) => a + m[k], 0) / tail.length);
  return { chosenReward: mean('chosenReward'), rejectedReward: mean('rejectedReward'), rewardMargin: mean('rewardMargin'), accuracy: mean('accuracy') };
}

function dpoKind(job: DpoJob): TrainingKind<DpoExtra> {
  const { settings } = job;
  const options: DpoOptions = { lossType: settings.lossType, beta: settings.beta, labelSmoothing: settings.labelSmoothing, gammaBetaRatio: settings.gammaBetaRatio };
  const reduction = logprobReduction(settings.lossType);
  return {
    async prepare({ config, tokenizer, io, resumeFrom }) {
      const pairs = await readPairs(job.paths.shards, tokenizer, config.context);
      const ref = job.paths.reference !== undefined && needsReference(settings.lossType) ? await readReference(job.paths.reference, pairs) : null;
      const history: Array<[number, DpoStepMetrics]> = [];
      if (resumeFrom !== undefined) {
        const saved = JSON.parse(await readFile(`${resumeFrom}/${METRICS_FILE}`, 'utf8').catch(() => '[]')) as Array<[number, DpoStepMetrics]>;
        history.push(...saved);
      }
      await io.send({ type: 'log', level: 'info', msg: `dpo (${settings.lossType}, β ${settings.beta}) on ${pairs.length} pairs, ${settings.steps} steps of ${settings.batchSize}` });
      const B = settings.batchSize;
      const order = epochOrder(pairs.length, settings.seed);
      let pending: DpoStepMetrics | null = null;
      return {
        async trainStep(model, opt, step, hyper) {
          const indices = Array.from({ length: B }, (_, b) => order(step * B + b));
          const batch = pairBatch(
            indices.map((i) => pairs[i]!),
            tokenizer.eosId,
          );
          const t = maskedBatchTensors(batch);
          const reference = ref === null ? null : referenceTensors(ref, indices, reduction);
          let stats: tf.Tensor | undefined;
          try {
            const { loss, norm } = tf.tidy(() =>
              applyUpdate(
                model,
                opt,
                () => {
                  const lp = pairLogprobs(model, t, reduction);
                  const terms = dpoTerms({ policyChosen: lp.chosen, policyRejected: lp.rejected, ...(reference ? { referenceChosen: reference.chosen, referenceRejected: reference.rejected } : {}) }, options);
                  // The batch's metrics before the update, as open-instruct logs them.
                  stats = tf.keep(
                    tf.stack([
                      tf.mean(terms.chosenRewards),
                      tf.mean(terms.rejectedRewards),
                      tf.mean(tf.sub(terms.chosenRewards, terms.rejectedRewards)),
                      tf.mean(tf.cast(tf.greater(terms.chosenRewards, terms.rejectedRewards), 'float32')),
                    ]),
                  );
                  return tf.mean(terms.losses);
                },
                hyper,
              ),
            );
            const value = (await loss.data())[0]!;
            tf.dispose([loss, norm]);
            const [chosenReward, rejectedReward, rewardMargin, accuracy] = await stats!.data();
            pending = { chosenReward: chosenReward!, rejectedReward: rejectedReward!, rewardMargin: rewardMargin!, accuracy: accuracy! };
            return { loss: value, tokens: batch.tokens };
          } finally {
            tf.dispose([t.inputs, t.targets, t.mask, ...(reference ? [reference.chosen, reference.rejected] : []), ...(stats ? [stats] : [])]);
          }
        },
        async afterStep(step) {
          if (pending === null) return;
          const m = pending;
          pending = null;
          history.push([step, m]);
          const values = Object.fromEntries(Object.entries(DPO_CURVES).map(([k, name]) => [name, m[k as keyof DpoStepMetrics]]));
          await io.send({ type: 'metrics', step, values });
        },
        checkpointFiles: () => ({ [METRICS_FILE]: history }),
        result: () => ({ pairs: pairs.length, ...tailMean(history), first: history[0]?.[1] ?? tailMean([]) }),
      };
    },
  };
}
