/**
 * `createActivities(deps)`: every activity, wired to its dependencies. The
 * worker registers `control` on `braise-control` and `stages` on the CPU and
 * GPU queues.
 *
 * A stage's implementation (filter rules, tokenizers, TensorFlow.js for the
 * training stages) is imported the first time that stage runs in this
 * process, not at start: a process that only serves cached runs, or the
 * control queue, never loads them.
 */
import { createControlActivities } from './control/activities.ts';
import type { ActivityDeps } from './deps.ts';
import { withStageLog } from './stage-log.ts';
import { createSweepActivities } from './sweep/activity.ts';
import type { ControlActivities, StageActivities, StageActivity, SweepActivities } from './types.ts';

export type { ActivityDeps } from './deps.ts';

export interface Activities {
  /** The control queue's: the interpreter's, and the ablation run's report. */
  control: ControlActivities & SweepActivities;
  stages: StageActivities;
}

/**
 * An activity whose module is imported on its first call (once; a failed import is tried again next call), each
 * attempt run with its stage log (stage-log.ts): every stage activity comes through here.
 */
function lazy(deps: ActivityDeps, load: () => Promise<(deps: ActivityDeps) => StageActivity>): StageActivity {
  let activity: Promise<StageActivity> | null = null;
  return async (req) => {
    activity ??= load().then(
      (create) => create(deps),
      (err: unknown) => {
        activity = null;
        throw err;
      },
    );
    const run = await activity;
    return withStageLog(deps, req, async () => {
      // Stages read their inputs from local paths (store.dir): a remote store downloads them first.
      await Promise.all(req.inputs.map((i) => deps.store.ensureLocal(i.artifact.id)));
      return run(req);
    });
  };
}

export function createActivities(deps: ActivityDeps): Activities {
  return {
    control: { ...createControlActivities(deps), ...createSweepActivities(deps) },
    stages: {
      ingest: lazy(deps, async () => (await import('./ingest/activity.ts')).createIngest),
      filter: lazy(deps, async () => (await import('./filter/activity.ts')).createFilter),
      rewrite: lazy(deps, async () => (await import('./rewrite/activity.ts')).createRewrite),
      mix: lazy(deps, async () => (await import('./mix/activity.ts')).createMix),
      pretrain: lazy(deps, async () => (await import('./pretrain/activity.ts')).createPretrain),
      upsample: lazy(deps, async () => (await import('./upsample/activity.ts')).createUpsample),
      sft: lazy(deps, async () => (await import('./sft/activity.ts')).createSft),
      dpo: lazy(deps, async () => (await import('./dpo/activity.ts')).createDpo),
      rlvr: lazy(deps, async () => (await import('./rlvr/activity.ts')).createRlvr),
      merge: lazy(deps, async () => (await import('./merge/activity.ts')).createMerge),
      evaluate: lazy(deps, async () => (await import('./evaluate/activity.ts')).createEvaluate),
      mixsearch: lazy(deps, async () => (await import('./mixsearch/activity.ts')).createMixsearch),
      mergeablation: lazy(deps, async () => (await import('./mergeablation/activity.ts')).createMergeablation),
    },
  };
}
