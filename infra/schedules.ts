/**
 * Braise schedules over Temporal Schedules: `braise schedule …` and `/v1/schedules` (the RunService's schedule
 * methods; infra/service.ts wires them). A schedule named N is the Temporal Schedule `braise-N`; at each of its
 * times it starts the `scheduledRun` workflow (workflows/scheduled-run.ts), which starts the run as a child with
 * its own run id, `options.schedule = N` and the `BraiseSchedule` search attribute. The plan is compiled when the
 * schedule is created (not at 2 a.m.) and travels in the action's arguments. Overlap policy skip; an explicit
 * catch-up window (default {@link DEFAULT_CATCHUP_WINDOW}). Temporal holds every schedule's state: nothing of it
 * is in lineage, whose `runs.schedule` column records which schedule started each run.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import type { Plan, RunOptions } from '../recipe/plan.ts';
import type { RecipeIssue } from '../recipe/errors.ts';
import { InvalidInputError, NotFoundError, type RunService, type ScheduleRequest, type ScheduleView } from '../service/contract.ts';
import { scheduledRunId, SCHEDULED_RUN_WORKFLOW, type ScheduledRunInput } from '../workflows/scheduled-run.ts';
import { BraiseRecipe, BraiseSchedule } from '../workflows/search-attributes.ts';
import type { BraiseConfig } from './config.ts';
import { runStart, workflowIdFor } from './temporal/runs.ts';
import { QUEUES } from './temporal/worker.ts';

/** How late a missed run may still start when the server comes back from an outage, unless a schedule says. */
export const DEFAULT_CATCHUP_WINDOW = '1h';
/** Temporal's own bounds on a catch-up window (its minimum is 10 s). */
const CATCHUP_MS = { min: 10_000, max: 365 * 86_400_000 };
const MIN_EVERY_MS = 60_000;
const NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/**
 * The settings as they were asked for, to show them back (Temporal describes a cron expression as calendars): in the
 * memo of the action (the scheduled workflows' memo), which an update replaces; a schedule's own memo cannot change,
 * so it holds only the name (`{ braise: { name } }`, what list looks for).
 */
interface ScheduleMemo {
  name: string;
  recipe: string;
  recipeHash: string;
  cron: string | null;
  every: string | null;
  timezone: string;
}

export function scheduleIdFor(name: string): string {
  return `braise-${name}`;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90s`, `30m`, `6h`, `1d` → milliseconds; null if it is not such a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,9})(s|m|h|d)$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : null;
}

/** Milliseconds → the largest unit that divides them (`3600000` → `1h`). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${ms / 1000}s`;
}

const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], base: 1 },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], base: 0 },
] as const;

/**
 * What is wrong with a cron expression, or null: five fields (minute hour day-of-month month day-of-week) of `*`,
 * numbers or names (JAN, MON), ranges `a-b`, lists `a,b` and steps `/n`, each value within its field's range; or
 * one of @yearly, @monthly, @weekly, @daily, @hourly. Temporal parses it again when the schedule is created.
 */
export function cronProblem(expr: string): string | null {
  const text = expr.trim();
  if (text.startsWith('@')) return MACROS.includes(text) ? null : `unknown cron macro "${text}" (expected one of ${MACROS.join(', ')})`;
  const fields = text.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week, e.g. "0 2 * * *"), got ${fields.length}`;
  for (const [i, field] of fields.entries()) {
    const spec = CRON_FIELDS[i]!;
    const where = `field ${i + 1} (${spec.name}) "${field}"`;
    const value = (v: string): number | null => {
      if (/^\d+$/.test(v)) return Number(v);
      const names: readonly string[] = 'names' in spec ? spec.names : [];
      const at = names.indexOf(v.toUpperCase());
      return at >= 0 && 'base' in spec ? at + spec.base : null;
    };
    for (const part of field.split(',')) {
      const m = /^(\*|\?|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
      if (!m) return `${where}: "${part}" is not a value, a range a-b, * or a step /n`;
      if (m[2] !== undefined && Number(m[2]) < 1) return `${where}: a step must be at least 1`;
      if (m[1] === '?' && i !== 2 && i !== 4) return `${where}: "?" is only allowed for the day of month or of week`;
      if (m[1] === '*' || m[1] === '?') continue;
      const [lo, hi] = m[1]!.split('-').map(value);
      for (const v of [lo, hi]) {
        if (v === null) return `${where}: "${part}" is not a number${'names' in spec ? ' or a name' : ''}`;
        if (v !== undefined && (v < spec.min || v > spec.max)) return `${where}: ${v} is outside ${spec.min}–${spec.max}`;
      }
      if (hi !== undefined && lo! > hi!) return `${where}: the range ${part} runs backwards`;
    }
  }
  return null;
}

/** Whether `tz` is an IANA time zone name this runtime knows (Temporal's own check follows at create time). */
export function knownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The schedule settings of a request, checked: every problem is an issue naming its field. */
export function scheduleSettings(req: Omit<ScheduleRequest, 'recipe'>, recipeName: string): { name: string; cron: string | null; everyMs: number | null; timezone: string; catchupWindowMs: number } {
  const issues: RecipeIssue[] = [];
  const name = req.name ?? recipeName;
  if (!NAME.test(name)) issues.push({ path: 'name', message: `"${name}" is not a schedule name: lowercase letters, digits, "_" or "-", starting with a letter, at most 63 characters` });
  const cron = req.cron?.trim() || null;
  let everyMs: number | null = null;
  if (cron !== null && req.every !== undefined) issues.push({ path: 'every', message: 'give either cron or every, not both' });
  else if (cron === null && req.every === undefined) issues.push({ path: 'cron', message: 'a schedule needs a cron expression (e.g. "0 2 * * *") or an interval (every: "1h")' });
  if (cron !== null) {
    const problem = cronProblem(cron);
    if (problem) issues.push({ path: 'cron', message: `invalid cron expression "${cron}": ${problem}` });
  }
  if (req.every !== undefined) {
    everyMs = parseDuration(req.every);
    if (everyMs === null || everyMs < MIN_EVERY_MS) issues.push({ path: 'every', message: `"${req.every}" is not an interval of at least 1 minute (e.g. 1m, 30m, 6h, 1d)` });
  }
  const timezone = req.timezone?.trim() || 'UTC';
  if (!knownTimeZone(timezone)) issues.push({ path: 'timezone', message: `unknown time zone "${timezone}": use an IANA name such as UTC or Europe/Paris` });
  if (req.timezone !== undefined && req.every !== undefined && cron === null) issues.push({ path: 'timezone', message: 'a time zone applies to a cron expression, not to an interval' });
  const catchupText = req.catchupWindow ?? DEFAULT_CATCHUP_WINDOW;
  const catchupWindowMs = parseDuration(catchupText);
  if (catchupWindowMs === null || catchupWindowMs < CATCHUP_MS.min || catchupWindowMs > CATCHUP_MS.max) {
    issues.push({ path: 'catchupWindow', message: `"${catchupText}" is not a catch-up window between 10s and 365d (e.g. 30m, 1h, 1d)` });
  }
  if (issues.length > 0) throw new InvalidInputError(issues, `invalid schedule: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return { name, cron, everyMs, timezone, catchupWindowMs: catchupWindowMs! };
}

/** What a schedule's executions start: the workflow `braise run` would start for this plan, its input less the run id. */
function scheduledRunOf(plan: Plan, options: RunOptions): Pick<ScheduledRunInput, 'workflowType' | 'input'> {
  const { workflowType, input } = runStart(plan, options, { runId: '' });
  return { workflowType, input: { plan: input.plan, options: input.options, resumedFrom: null } };
}

/**
 * The Temporal Schedule of a Braise schedule: overlap skip, the catch-up window, the `scheduledRun` action whose
 * arguments carry the compiled plan and the run options, and `BraiseRecipe` / `BraiseSchedule` on the schedule and
 * on each execution it starts.
 */
export function scheduleOptions(
  settings: ReturnType<typeof scheduleSettings>,
  plan: Plan,
  options: RunOptions,
  /** The run each execution starts: as `braise run` starts it (runStart: a `recipeRun`, or a sweep's `ablationRun`). */
  run: Pick<ScheduledRunInput, 'workflowType' | 'input'> = scheduledRunOf(plan, options),
): ScheduleOptions & { action: { args: [ScheduledRunInput] } } {
  const { name, cron, everyMs, timezone, catchupWindowMs } = settings;
  const attributes = [
    { key: BraiseRecipe, value: plan.name },
    { key: BraiseSchedule, value: name },
  ];
  const memo: ScheduleMemo = { name, recipe: plan.name, recipeHash: plan.recipeHash, cron, every: everyMs === null ? null : formatDuration(everyMs), timezone };
  const input: ScheduledRunInput = {
    schedule: name,
    workflowType: run.workflowType,
    workflowIdPrefix: workflowIdFor(plan, ''),
    recipe: plan.name,
    memo: { recipe: plan.name, recipeHash: plan.recipeHash },
    input: run.input,
  };
  return {
    scheduleId: scheduleIdFor(name),
    spec: cron !== null ? { cronExpressions: [cron], timezone } : { intervals: [{ every: everyMs! }] },
    action: {
      type: 'startWorkflow',
      workflowType: SCHEDULED_RUN_WORKFLOW,
      workflowId: `braise-schedule-${name}`,
      taskQueue: QUEUES.control,
      args: [input],
      memo: { schedule: memo },
      typedSearchAttributes: attributes,
    },
    policies: { overlap: 'SKIP', catchupWindow: catchupWindowMs, pauseOnFailure: false },
    memo: { braise: { name } },
    typedSearchAttributes: attributes,
  };
}

/** A described schedule as the API and CLI show it. */
export function scheduleView(d: ScheduleDescription, config: Pick<BraiseConfig, 'temporalUiUrl' | 'namespace'>): ScheduleView {
  const memo = (d.action.memo?.schedule ?? {}) as Partial<ScheduleMemo>;
  const name = memo.name ?? d.scheduleId.replace(/^braise-/, '');
  const iso = (t: Date | undefined) => (t ? t.toISOString() : null);
  return {
    name,
    scheduleId: d.scheduleId,
    recipe: memo.recipe ?? '',
    recipeHash: memo.recipeHash ?? '',
    cron: memo.cron ?? null,
    every: memo.every ?? null,
    timezone: memo.timezone ?? (d.spec.timezone || 'UTC'),
    overlap: 'skip',
    catchupWindow: formatDuration(d.policies.catchupWindow),
    paused: d.state.paused,
    note: d.state.note || null,
    nextRuns: d.info.nextActionTimes.slice(0, 5).map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map((a) => ({ runId: scheduledRunId(a.action.workflow.workflowId), scheduledAt: a.scheduledAt.toISOString(), startedAt: a.takenAt.toISOString() })),
    runningRuns: d.info.runningActions.map((a) => scheduledRunId(a.workflow.workflowId)),
    createdAt: d.info.createdAt.toISOString(),
    updatedAt: iso(d.info.lastUpdatedAt),
    temporalUiUrl: `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.namespace)}/schedules/${encodeURIComponent(d.scheduleId)}`,
  };
}

/** Temporal's refusal of a spec (the SDK throws a TypeError for "Invalid schedule spec"), as the field it names. */
function specRefused(err: unknown): InvalidInputError | null {
  if (!(err instanceof TypeError)) return null;
  const path = /time ?zone/i.test(err.message) ? 'timezone' : 'cron';
  return new InvalidInputError([{ path, message: `Temporal refused the schedule: ${err.message}` }], `invalid schedule: ${path}: ${err.message}`);
}

export interface ScheduleDeps {
  client: () => Client;
  config: Pick<BraiseConfig, 'temporalUiUrl' | 'namespace'>;
  /** Validates and compiles a recipe exactly as a run start does (InvalidInputError otherwise). */
  plan: (recipe: string | unknown) => Promise<Plan>;
  /** The run options a run started by this service gets (its data roots). */
  runOptions: (options: RunOptions) => RunOptions;
}

type ScheduleMethods = Pick<RunService, 'putSchedule' | 'listSchedules' | 'getSchedule' | 'pauseSchedule' | 'unpauseSchedule' | 'triggerSchedule' | 'deleteSchedule'>;

export function scheduleMethods(deps: ScheduleDeps): ScheduleMethods {
  /** Runs `fn` on the schedule's handle; an unknown schedule is a NotFoundError naming it. */
  const onSchedule = async <T>(name: string, fn: (h: ReturnType<Client['schedule']['getHandle']>) => Promise<T>): Promise<T> => {
    try {
      return await fn(deps.client().schedule.getHandle(scheduleIdFor(name)));
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new NotFoundError(`no schedule "${name}" (braise schedule list shows them)`);
      throw err;
    }
  };
  const describe = (name: string) => onSchedule(name, async (h) => scheduleView(await h.describe(), deps.config));

  return {
    async putSchedule(req) {
      const { recipe, noCache, onFailure, ...rest } = req;
      const plan = await deps.plan(recipe);
      const settings = scheduleSettings(rest, plan.name);
      const options = scheduleOptions(settings, plan, deps.runOptions({ noCache: noCache ?? false, ...(onFailure !== undefined && { onFailure }) }));
      const warnings = plan.warnings && plan.warnings.length > 0 ? { warnings: plan.warnings } : {};
      let created = true;
      try {
        try {
          await deps.client().schedule.create(options);
        } catch (err) {
          if (!(err instanceof ScheduleAlreadyRunning)) throw err;
          created = false;
          // The same name: a new spec, action and policies; the pause state stays as it is.
          const { spec, action, policies, typedSearchAttributes } = options;
          await deps.client().schedule.getHandle(options.scheduleId).update((prev) => ({ spec, action, policies, typedSearchAttributes, state: { paused: prev.state.paused, note: prev.state.note } }));
        }
      } catch (err) {
        throw specRefused(err) ?? err;
      }
      return { schedule: { ...(await describe(settings.name)), ...warnings }, created };
    },

    async listSchedules() {
      const names: string[] = [];
      // Temporal's list is eventually consistent: a schedule created a moment ago may be missing for a second.
      for await (const s of deps.client().schedule.list()) {
        const memo = s.memo?.braise as { name?: string } | undefined;
        if (memo?.name && s.scheduleId === scheduleIdFor(memo.name)) names.push(memo.name);
      }
      const views = await Promise.all(names.sort().map((n) => describe(n).catch((err: unknown) => (err instanceof NotFoundError ? null : Promise.reject(err)))));
      return { schedules: views.filter((v): v is ScheduleView => v !== null) };
    },

    getSchedule: describe,

    async pauseSchedule(name, note) {
      await onSchedule(name, (h) => h.pause(note ?? 'paused with braise schedule pause'));
      return describe(name);
    },

    async unpauseSchedule(name, note) {
      await onSchedule(name, (h) => h.unpause(note ?? 'unpaused with braise schedule unpause'));
      return describe(name);
    },

    async triggerSchedule(name) {
      const before = await describe(name);
      const seen = new Set(before.recentRuns.map((r) => r.runId));
      // The SDK's default for a trigger is ALLOW_ALL: keep the schedule's own policy.
      await onSchedule(name, (h) => h.trigger('SKIP'));
      // The server takes the action asynchronously: wait a little for it to show.
      const deadline = Date.now() + 5000;
      for (;;) {
        const now = await describe(name);
        const started = now.recentRuns.find((r) => !seen.has(r.runId));
        if (started || Date.now() > deadline) return { schedule: now, runId: started?.runId ?? null };
        await new Promise((r) => setTimeout(r, 200));
      }
    },

    async deleteSchedule(name) {
      await onSchedule(name, (h) => h.delete());
      return { name, deleted: true as const };
    },
  };
}
