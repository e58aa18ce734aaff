/**
 * `scheduledRun`: what a Braise schedule's Temporal Schedule starts at each of its times. A schedule's action has
 * fixed arguments, so this workflow makes each execution a normal Braise run: it derives the run's id from its own
 * workflow id (unique per scheduled time), sets `options.schedule`, and starts the run as a child workflow with the
 * search attributes every run carries plus `BraiseSchedule`. The child's workflow type and input come from the
 * arguments as they are (`recipeRun` with a plan; a sweep's workflow plugs in the same way), and this workflow
 * waits for it, so the schedule's overlap policy (skip) holds while a run works or is paused.
 *
 * Deterministic: it imports only @temporalio/workflow and types.
 */
import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { RunOptions } from '../recipe/plan.ts';
import { runSearchAttributes } from './search-attributes.ts';

export const SCHEDULED_RUN_WORKFLOW = 'scheduledRun';

/** The fixed arguments of a schedule's action. */
export interface ScheduledRunInput {
  /** The Braise schedule's name. */
  schedule: string;
  /** The run's workflow type (`recipeRun`). */
  workflowType: string;
  /** The run's workflow id is this prefix and its run id (`braise-<recipe>-`, as `braise run` names runs). */
  workflowIdPrefix: string;
  /** The recipe's name (the run's `BraiseRecipe` search attribute). */
  recipe: string;
  /** The run's memo (`{ recipe, recipeHash }`, as a run started by hand has). */
  memo?: Record<string, unknown>;
  /** The run's input, without its run id (set per execution); `options.schedule` is set to the schedule's name. */
  input: { options: RunOptions } & Record<string, unknown>;
}

/** FNV-1a (32 bits) of a string, as 8 hex digits: pure, so the workflow and its clients agree on it. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * The run id of the execution a schedule started as workflow `workflowId` (Temporal names it
 * `<action workflow id>-<scheduled time, RFC 3339>`): `r-<time in base 36><8 hex of the workflow id>`, the shape of
 * every run id, the same every time it is asked (on replay, and by clients reading a schedule's recent actions).
 */
export function scheduledRunId(workflowId: string): string {
  const m = /-(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)$/.exec(workflowId);
  const time = m ? Date.parse(m[1]!) : NaN;
  return `r-${Number.isFinite(time) ? time.toString(36) : 's'}${fnv1a(workflowId)}`;
}

export async function scheduledRun(args: ScheduledRunInput): Promise<unknown> {
  const runId = scheduledRunId(workflowInfo().workflowId);
  return executeChild(args.workflowType, {
    workflowId: `${args.workflowIdPrefix}${runId}`,
    args: [{ ...args.input, runId, options: { ...args.input.options, schedule: args.schedule } }],
    memo: args.memo,
    typedSearchAttributes: runSearchAttributes(args.recipe, args.schedule),
  });
}
