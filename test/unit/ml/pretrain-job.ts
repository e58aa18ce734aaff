/**
 * Pretrain jobs for the trainer tests, written flat (`{ steps, resumeFrom, ... }`) and nested into the
 * job's `{ settings, model, paths }` here, so a test overrides any field in one object.
 */
import type { PretrainJob } from '../../../ml/jobs.ts';

type Settings = PretrainJob['settings'];
type Paths = PretrainJob['paths'];

/** Every field of a pretrain job in one object. */
export type FlatPretrainJob = Settings & Paths & { model: PretrainJob['model'] };

const DEFAULTS: Settings = {
  steps: 40,
  batchSize: 8,
  lr: 1e-2,
  warmupSteps: 4,
  minLrRatio: 0.1,
  weightDecay: 0.1,
  gradClip: 1,
  checkpointEvery: 20,
  seed: 42,
  holdout: 0.1,
  backend: 'auto',
};

/** The job of `flat`: the tests' defaults for the settings it leaves out. */
export function pretrainJob(flat: Partial<FlatPretrainJob> & Pick<FlatPretrainJob, 'shards' | 'model' | 'checkpointDir' | 'outputDir'>): PretrainJob {
  const { shards, checkpointDir, outputDir, resumeFrom, initFrom, referenceModel, model, ...settings } = flat;
  return {
    type: 'pretrain',
    settings: { ...DEFAULTS, ...settings },
    model,
    paths: { shards, checkpointDir, outputDir, ...(resumeFrom !== undefined ? { resumeFrom } : {}), ...(initFrom !== undefined ? { initFrom } : {}), ...(referenceModel !== undefined ? { referenceModel } : {}) },
  };
}
