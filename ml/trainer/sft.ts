/**
 * `sft` jobs: instruction tuning with the trainer kit (./kit.ts: resume, checkpoints, graceful stop,
 * progress) from the model in `paths.initFrom`. This file supplies the data and the loss step: the rows
 * (`{prompt, response}` in each document's meta) in the chat template, the prompt masked out of the labels,
 * batches in epoch order (each epoch a seeded permutation of the rows, so a step's batch depends only on
 * (seed, step) and a resumed run sees what an uninterrupted one would), the linear schedule with warmup.
 */
import * as tf from '@tensorflow/tfjs-core';
import { rowOfDoc, type SftRow } from '../../datasets/posttrain/rows.ts';
import { readDocs } from '../data.ts';
import { JobInputError } from '../errors.ts';
import type { SftJob, SftResult, TrainerIO, TrainResult } from '../jobs.ts';
import { linearLrAt } from '../optim.ts';
import { epochOrder } from '../posttrain/epoch-order.ts';
import { sftBatch, sftExample, sftLoss, type SftExample } from '../posttrain/sft-loss.ts';
import { applyUpdate } from '../train-step.ts';
import { runTraining, type TrainingKind } from './kit.ts';

type SftExtra = Omit<SftResult, keyof TrainResult>;

/** The warmup of a run of `steps` updates: open-instruct's int(steps · warmup_ratio). */
export function warmupSteps(steps: number, warmupRatio: number): number {
  return Math.floor(steps * warmupRatio);
}

/** Runs an sft job (see the file header); null when stopped early, after checkpointing. */
export function runSft(job: SftJob, io: TrainerIO): Promise<SftResult | null> {
  const s = job.settings;
  if (job.paths.initFrom === undefined && job.paths.resumeFrom === undefined) throw new JobInputError('job.paths.initFrom: sft tunes an existing model: give its model directory');
  const schedule = { lr: s.lr, warmupSteps: warmupSteps(s.steps, s.warmupRatio), totalSteps: s.steps };
  return runTraining(
    { model: job.model, paths: job.paths, steps: s.steps, checkpointEvery: s.checkpointEvery, seed: s.seed, backend: s.backend, weightDecay: s.weightDecay, gradClip: s.gradClip, lrAt: (step) => linearLrAt(step, schedule) },
    io,
    sftKind(job),
  );
}

function sftKind(job: SftJob): TrainingKind<SftExtra> {
  const { settings } = job;
  return {
    async prepare({ config, tokenizer, io }) {
      const rows: SftRow[] = [];
      for (const doc of await readDocs(job.paths.shards)) {
        const row = rowOfDoc('sft', doc);
        if (typeof row === 'string') throw new JobInputError(`${doc.shard}:${doc.line}: ${row}; sft trains on {prompt, response} rows (a dataset with shape: sft)`);
        rows.push(row);
      }
      if (rows.length === 0) throw new JobInputError(`job.shards: no rows in ${job.paths.shards.join(', ')}`);
      const examples = rows.map((r) => sftExample(r, tokenizer, config.context + 1, settings.maskPrompt));
      const empty = examples.findIndex((e) => e.labels.slice(1).every((l) => l < 0));
      if (empty >= 0) throw new JobInputError(`row ${empty + 1}: its prompt fills the whole context (${config.context} tokens), leaving no response token to train on; shorten it or raise model.context`);
      await io.send({ type: 'log', level: 'info', msg: `sft on ${rows.length} rows, ${settings.steps} steps of ${settings.batchSize}` });
      const B = settings.batchSize;
      const order = epochOrder(rows.length, settings.seed);
      const exampleAt = (k: number): SftExample => examples[order(k)]!;
      return {
        async trainStep(model, opt, step, hyper) {
          const batchExamples = Array.from({ length: B }, (_, b) => exampleAt(step * B + b));
          const length = Math.max(...batchExamples.map((e) => e.tokens.length)) - 1;
          const batch = sftBatch(batchExamples, length, tokenizer.eosId);
          const x = tf.tensor2d(batch.inputs, [batch.rows, batch.length], 'int32');
          const y = tf.tensor2d(batch.targets, [batch.rows, batch.length], 'int32');
          try {
            const { loss, norm } = tf.tidy(() => applyUpdate(model, opt, () => sftLoss(model, x, y), hyper));
            const value = (await loss.data())[0]!;
            loss.dispose();
            norm.dispose();
            return { loss: value, tokens: batch.tokens };
          } finally {
            x.dispose();
            y.dispose();
          }
        },
        result: () => ({ rows: rows.length }),
      };
    },
  };
}
