/**
 * `createActivities(deps)`: every activity, wired to its dependencies. The
 * worker registers `control` on `braise-control` and `stages` on the CPU and
 * GPU queues.
 */
import { createControlActivities } from './control/activities.ts';
import type { ActivityDeps } from './deps.ts';
import { createEvaluate } from './evaluate/activity.ts';
import { createFilter } from './filter/activity.ts';
import { createIngest } from './ingest/activity.ts';
import { createPretrain } from './pretrain/activity.ts';
import { createMix } from './mix/activity.ts';
import { createRewrite } from './rewrite/activity.ts';
import type { ControlActivities, StageActivities } from './types.ts';

export type { ActivityDeps } from './deps.ts';

export interface Activities {
  control: ControlActivities;
  stages: StageActivities;
}

export function createActivities(deps: ActivityDeps): Activities {
  return {
    control: createControlActivities(deps),
    stages: {
      ingest: createIngest(deps),
      filter: createFilter(deps),
      rewrite: createRewrite(deps),
      mix: createMix(deps),
      pretrain: createPretrain(deps),
      evaluate: createEvaluate(deps),
    },
  };
}
