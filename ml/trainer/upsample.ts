/**
 * `upsample` jobs: the last steps of a pretrain again, from its checkpoint at `settings.startStep`, with each
 * domain's sampling weight multiplied (recipe/stages/upsample.ts says why). The trainer kit resumes the model
 * and AdamW state from `paths.resumeFrom` and runs the pretrain's own schedule (warmup + cosine over its steps)
 * to its end; the batches are pretraining's own (./pretrain.ts), reweighted by ../mixing/reweight.ts. With
 * every multiplier 1 the run is the pretrain's steps startStep + 1 … S replayed, so its final weights are the
 * pretrain's. Its own retries resume from its own checkpoints (the activity passes the newest as `resumeFrom`).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { readJson } from '../checkpoint-io.ts';
import { JobInputError } from '../errors.ts';
import type { TrainerIO, UpsampleJob, UpsampleResult } from '../jobs.ts';
import { lrAt } from '../optim.ts';
import { runTraining } from './kit.ts';
import { pretrainKind } from './pretrain.ts';

/** Runs an upsample job; null when stopped early (after checkpointing). Its loss curve starts after `startStep`. */
export async function runUpsample(job: UpsampleJob, io: TrainerIO): Promise<UpsampleResult | null> {
  const s = job.settings;
  const p = s.pretrain;
  if (s.startStep >= p.steps) throw new JobInputError(`job.settings.startStep: ${s.startStep} leaves no step of the pretrain's ${p.steps} to train`);
  if (s.startStep > 0 && job.paths.resumeFrom === undefined) {
    throw new JobInputError(`job.paths.resumeFrom: upsample starts from the pretrain's checkpoint at step ${s.startStep}: give its directory`);
  }
  if (job.paths.resumeFrom !== undefined) {
    const { step } = await readJson(join(job.paths.resumeFrom, 'state.json'), z.object({ step: z.number().int().nonnegative() }));
    if (step < s.startStep) throw new JobInputError(`job.paths.resumeFrom: a checkpoint at step ${step}, before the upsample's start at ${s.startStep}`);
  }
  const schedule = { lr: p.lr, warmupSteps: p.warmupSteps, totalSteps: p.steps, minLrRatio: p.minLrRatio };
  let mixture: Record<string, number> = {};
  const pretrainJob = { type: 'pretrain' as const, settings: p, model: job.model, paths: job.paths };
  const result = await runTraining(
    {
      model: job.model,
      paths: job.paths,
      steps: p.steps,
      checkpointEvery: s.checkpointEvery,
      seed: p.seed,
      backend: s.backend,
      weightDecay: p.weightDecay,
      gradClip: p.gradClip,
      lrAt: (step) => lrAt(step, schedule),
    },
    io,
    pretrainKind(pretrainJob, { domains: s.domains, where: 'with.domains', report: (m) => (mixture = m) }),
  );
  if (result === null) return null;
  const own = result.lossCurve.filter(([step]) => step > s.startStep);
  return { ...result, lossCurve: own, startStep: s.startStep, mixture };
}
