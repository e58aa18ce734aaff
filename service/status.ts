/**
 * The one definition of a run's and a stage's status: the workflow's state, lineage's check constraints,
 * the API's enums and the CLI's rendering all take these lists (pure values, so workflows may
 * `import type` them and the database schema and zod may use the arrays).
 */

/** Lifecycle of a run. `paused` waits for `braise resume` / `POST /v1/runs/:id/resume`. */
export const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'paused'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A run that ended: nothing will change its status again but a resume (a new execution). */
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);

/** Whether a run in `status` has ended. */
export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.has(status);
}

/** A stage in a run's view: `cached` reused the outputs of an earlier `completed` stage with the same cache key. */
export const STAGE_STATUSES = ['pending', 'running', 'completed', 'cached', 'failed', 'skipped', 'paused'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

/** The statuses lineage records for a step (one stage attempt): a stage's, less those only a live run has. */
export const STEP_STATUSES = ['running', 'completed', 'cached', 'failed', 'skipped'] as const satisfies readonly StageStatus[];
export type StepStatus = (typeof STEP_STATUSES)[number];
