/**
 * What the Temporal server would reject in a stage's activity options, checked
 * in the workflow before the activity is scheduled. The server answers a bad
 * ScheduleActivityTask command (a zero or out-of-range timeout, an over-long
 * id, a reserved queue name) by failing the workflow task, and the next task
 * replays to the same command: the run would sit "running" forever with no
 * error. A plan that reaches the interpreter without going through the compiler
 * (a client starting the workflow directly, a plan from an older compiler)
 * gets a stage failure naming the option instead.
 *
 * Pure: imported by the deterministic workflow code.
 */
import type { StageActivities } from '../activities/types.ts';
import type { PlanNode } from '../recipe/plan.ts';

/**
 * Every stage activity's name (a proxy answers any name, so the interpreter checks against this list).
 * Workflow code may not import the registry's values, so the names are written here, typed by
 * StageActivities (the registry's runnable kinds): a missing or extra name does not compile.
 */
const ACTIVITY_NAMES: { [K in keyof StageActivities]: true } = { ingest: true, filter: true, rewrite: true, mix: true, pretrain: true, upsample: true, sft: true, dpo: true, rlvr: true, merge: true, evaluate: true, mixsearch: true, mergeablation: true };
export const STAGE_ACTIVITY_KINDS = Object.keys(ACTIVITY_NAMES) as ReadonlyArray<keyof StageActivities>;

/** Temporal's default limit on ids and task queue names (`limit.maxIDLength`). */
export const MAX_ID_LENGTH = 1000;
/** The largest duration a protobuf Duration holds (10,000 years), in ms. */
export const MAX_DURATION_MS = 315_576_000_000 * 1000;
/** Retry attempts travel as an int32. */
const MAX_INT32 = 2 ** 31 - 1;

function isDuration(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_DURATION_MS;
}

/** Each problem as `<option>: <what is wrong>`; empty when the server would accept the activity. */
export function activityOptionProblems(node: PlanNode, activityId: string, knownKinds: readonly string[] = STAGE_ACTIVITY_KINDS): string[] {
  const problems: string[] = [];
  if (!knownKinds.includes(node.kind)) problems.push(`kind: no activity for stage kind ${JSON.stringify(node.kind)} (known: ${knownKinds.join(', ')})`);
  const queue: unknown = node.queue;
  if (typeof queue !== 'string' || queue.length === 0) problems.push('queue: must be a non-empty string');
  else if (queue.length > MAX_ID_LENGTH) problems.push(`queue: ${queue.length} characters, at most ${MAX_ID_LENGTH}`);
  else if (queue.startsWith('/_sys/')) problems.push('queue: names under "/_sys/" are reserved by Temporal');
  if (activityId.length > MAX_ID_LENGTH) problems.push(`id: the activity id is ${activityId.length} characters, at most ${MAX_ID_LENGTH}`);
  const t = node.timeouts as Partial<PlanNode['timeouts']> | undefined;
  if (!isDuration(t?.startToCloseMs, 1)) {
    problems.push(`timeouts.startToCloseMs: must be an integer from 1 to ${MAX_DURATION_MS}, got ${String(t?.startToCloseMs)}`);
  }
  if (t?.heartbeatMs !== null && t?.heartbeatMs !== undefined && !isDuration(t.heartbeatMs, 0)) {
    problems.push(`timeouts.heartbeatMs: must be null or an integer from 0 to ${MAX_DURATION_MS}, got ${String(t.heartbeatMs)}`);
  }
  const attempts: unknown = (node.retry as Partial<PlanNode['retry']> | undefined)?.maximumAttempts;
  if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 1 || attempts > MAX_INT32) {
    problems.push(`retry.maximumAttempts: must be an integer from 1 to ${MAX_INT32}, got ${String(attempts)}`);
  }
  return problems;
}
