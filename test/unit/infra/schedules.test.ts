/**
 * Schedules' pure parts: the cron expression, interval, time zone and catch-up window checks (each problem an
 * issue naming its field), the Temporal Schedule a Braise schedule becomes (overlap skip, the catch-up window,
 * the scheduledRun action and its arguments, the search attributes), the run id each execution derives, and the
 * view of a described schedule.
 */
import type { ScheduleDescription } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { compileRecipe, parseRecipeText } from '../../../recipe/index.ts';
import { InvalidInputError } from '../../../service/contract.ts';
import {
  cronProblem,
  DEFAULT_CATCHUP_WINDOW,
  formatDuration,
  knownTimeZone,
  parseDuration,
  scheduleOptions,
  scheduleSettings,
  scheduleView,
} from '../../../infra/schedules.ts';
import { scheduledRunId } from '../../../workflows/scheduled-run.ts';
import { RECIPE_YAML } from '../api/fakes.ts';

const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInputError) return err.issues;
    throw err;
  }
  throw new Error('expected an InvalidInputError');
};

describe('cron expressions', () => {
  it('accepts five fields of values, names, ranges, lists and steps, and the @ macros', () => {
    for (const ok of ['0 2 * * *', '*/15 * * * *', '30 1 * * MON-FRI', '0 0 1,15 * *', '0 3 ? JAN-MAR SUN', '0 0 * * 7', '5-10/2 0-23 1-31 1-12 0-6', '@daily', '@hourly', '@weekly']) {
      expect(cronProblem(ok), ok).toBeNull();
    }
  });

  it('names the field and what is wrong', () => {
    expect(cronProblem('0 2 * *')).toBe('expected 5 fields (minute hour day-of-month month day-of-week, e.g. "0 2 * * *"), got 4');
    expect(cronProblem('0 2 * * * *')).toMatch(/got 6/);
    expect(cronProblem('60 2 * * *')).toBe('field 1 (minute) "60": 60 is outside 0–59');
    expect(cronProblem('0 24 * * *')).toBe('field 2 (hour) "24": 24 is outside 0–23');
    expect(cronProblem('0 2 0 * *')).toBe('field 3 (day of month) "0": 0 is outside 1–31');
    expect(cronProblem('0 2 * 13 *')).toBe('field 4 (month) "13": 13 is outside 1–12');
    expect(cronProblem('0 2 * * FUNDAY')).toBe('field 5 (day of week) "FUNDAY": "FUNDAY" is not a number or a name');
    expect(cronProblem('0 2-1 * * *')).toBe('field 2 (hour) "2-1": the range 2-1 runs backwards');
    expect(cronProblem('*/0 * * * *')).toBe('field 1 (minute) "*/0": a step must be at least 1');
    expect(cronProblem('? * * * *')).toMatch(/only allowed for the day of month or of week/);
    expect(cronProblem('@nightly')).toMatch(/^unknown cron macro "@nightly" \(expected one of @yearly/);
  });
});

describe('durations and time zones', () => {
  it('parses s/m/h/d and formats with the largest unit that divides', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('1 hour')).toBeNull();
    expect(parseDuration('-1m')).toBeNull();
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(86_400_000 * 7)).toBe('7d');
  });

  it('knows IANA time zones and refuses others', () => {
    expect(knownTimeZone('UTC')).toBe(true);
    expect(knownTimeZone('Europe/Paris')).toBe(true);
    expect(knownTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(knownTimeZone('Mars/Olympus')).toBe(false);
    expect(knownTimeZone('Europe/Pariss')).toBe(false);
  });
});

describe('schedule settings', () => {
  it('defaults: the recipe name, UTC, the documented catch-up window', () => {
    const s = scheduleSettings({ cron: '0 2 * * *' }, 'nightly');
    expect(s).toEqual({ name: 'nightly', cron: '0 2 * * *', everyMs: null, timezone: 'UTC', catchupWindowMs: parseDuration(DEFAULT_CATCHUP_WINDOW) });
    expect(DEFAULT_CATCHUP_WINDOW).toBe('1h');
    expect(scheduleSettings({ every: '1m', name: 'fast', catchupWindow: '30s' }, 'x')).toEqual({ name: 'fast', cron: null, everyMs: 60_000, timezone: 'UTC', catchupWindowMs: 30_000 });
  });

  it('refuses each bad setting, naming its field, all at once', () => {
    const issues = issuesOf(() => scheduleSettings({ name: 'Bad Name', cron: '0 25 * * *', timezone: 'Mars/Olympus', catchupWindow: '5s' }, 'r'));
    expect(issues.map((i) => i.path)).toEqual(['name', 'cron', 'timezone', 'catchupWindow']);
    expect(issues[1]!.message).toBe('invalid cron expression "0 25 * * *": field 2 (hour) "25": 25 is outside 0–23');
    expect(issues[2]!.message).toBe('unknown time zone "Mars/Olympus": use an IANA name such as UTC or Europe/Paris');
    expect(issues[3]!.message).toMatch(/between 10s and 365d/);
  });

  it('needs exactly one of cron and every; an interval of at least a minute, with no time zone', () => {
    expect(issuesOf(() => scheduleSettings({}, 'r')).map((i) => i.path)).toEqual(['cron']);
    expect(issuesOf(() => scheduleSettings({ cron: '@daily', every: '1h' }, 'r'))[0]).toEqual({ path: 'every', message: 'give either cron or every, not both' });
    expect(issuesOf(() => scheduleSettings({ every: '30s' }, 'r'))[0]!.path).toBe('every');
    expect(issuesOf(() => scheduleSettings({ every: '1h', timezone: 'Europe/Paris' }, 'r'))[0]!.path).toBe('timezone');
  });
});

describe('the Temporal Schedule built', () => {
  const plan = compileRecipe(parseRecipeText(RECIPE_YAML));

  it('skips overlaps, sets the catch-up window, starts scheduledRun with the plan, and carries the search attributes', () => {
    const settings = scheduleSettings({ cron: '0 2 * * *', timezone: 'Europe/Paris', name: 'nightly', catchupWindow: '6h' }, plan.name);
    const o = scheduleOptions(settings, plan, { noCache: false, dataRoots: ['/data'] });
    expect(o.scheduleId).toBe('braise-nightly');
    expect(o.spec).toEqual({ cronExpressions: ['0 2 * * *'], timezone: 'Europe/Paris' });
    expect(o.policies).toEqual({ overlap: 'SKIP', catchupWindow: 6 * 3_600_000, pauseOnFailure: false });
    expect(o.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledRun', workflowId: 'braise-schedule-nightly', taskQueue: 'braise-control' });
    const attrs = (list: unknown) => (list as Array<{ key: { name: string }; value: unknown }>).map((a) => [a.key.name, a.value]);
    expect(attrs(o.typedSearchAttributes)).toEqual([['BraiseRecipe', 'tiny'], ['BraiseSchedule', 'nightly']]);
    expect(attrs(o.action.typedSearchAttributes)).toEqual([['BraiseRecipe', 'tiny'], ['BraiseSchedule', 'nightly']]);
    const [input] = o.action.args;
    expect(input).toEqual({
      schedule: 'nightly',
      workflowType: 'recipeRun',
      workflowIdPrefix: 'braise-tiny-',
      recipe: 'tiny',
      memo: { recipe: 'tiny', recipeHash: plan.recipeHash },
      input: { plan, options: { noCache: false, dataRoots: ['/data'] }, resumedFrom: null },
    });
    expect(o.memo).toEqual({ braise: { name: 'nightly' } });
    expect(o.action.memo).toEqual({ schedule: { name: 'nightly', recipe: 'tiny', recipeHash: plan.recipeHash, cron: '0 2 * * *', every: null, timezone: 'Europe/Paris' } });
  });

  it('an interval becomes an interval spec', () => {
    const o = scheduleOptions(scheduleSettings({ every: '1m' }, plan.name), plan, { noCache: true });
    expect(o.spec).toEqual({ intervals: [{ every: 60_000 }] });
    expect(o.scheduleId).toBe('braise-tiny');
    expect(o.policies!.catchupWindow).toBe(3_600_000);
  });
});

describe('scheduled run ids', () => {
  it('are the same for the same execution, differ between executions, and have the shape of every run id', () => {
    const a = scheduledRunId('braise-schedule-nightly-2026-12-02T02:00:00Z');
    expect(a).toBe(scheduledRunId('braise-schedule-nightly-2026-12-02T02:00:00Z'));
    expect(a).toMatch(/^r-[0-9a-z]+[0-9a-f]{8}$/);
    expect(a.startsWith(`r-${Date.parse('2026-12-02T02:00:00Z').toString(36)}`)).toBe(true);
    expect(scheduledRunId('braise-schedule-nightly-2026-12-03T02:00:00Z')).not.toBe(a);
    expect(scheduledRunId('braise-schedule-other-2026-12-02T02:00:00Z')).not.toBe(a);
    expect(scheduledRunId('no-time-suffix')).toMatch(/^r-s[0-9a-f]{8}$/);
  });
});

describe('scheduleView', () => {
  it('shows the settings as asked, the state, next runs and the run ids of recent and running actions', () => {
    const wf = (t: string) => ({ type: 'startWorkflow' as const, workflow: { workflowId: `braise-schedule-nightly-${t}`, firstExecutionRunId: 'x' } });
    const d = {
      scheduleId: 'braise-nightly',
      spec: { timezone: 'Europe/Paris' },
      action: { memo: { schedule: { name: 'nightly', recipe: 'tiny', recipeHash: 'h', cron: '0 2 * * *', every: null, timezone: 'Europe/Paris' } } },
      policies: { overlap: 'SKIP', catchupWindow: 3_600_000, pauseOnFailure: false },
      state: { paused: true, note: 'hold' },
      info: {
        nextActionTimes: [new Date('2026-12-03T01:00:00Z')],
        recentActions: [{ scheduledAt: new Date('2026-12-02T01:00:00Z'), takenAt: new Date('2026-12-02T01:00:01Z'), action: wf('2026-12-02T01:00:00Z') }],
        runningActions: [wf('2026-12-02T01:00:00Z')],
        createdAt: new Date('2026-12-01T00:00:00Z'),
        lastUpdatedAt: undefined,
      },
    } as unknown as ScheduleDescription;
    const v = scheduleView(d, { temporalUiUrl: 'http://ui', namespace: 'ns' });
    const runId = scheduledRunId('braise-schedule-nightly-2026-12-02T01:00:00Z');
    expect(v).toEqual({
      name: 'nightly',
      scheduleId: 'braise-nightly',
      recipe: 'tiny',
      recipeHash: 'h',
      cron: '0 2 * * *',
      every: null,
      timezone: 'Europe/Paris',
      overlap: 'skip',
      catchupWindow: '1h',
      paused: true,
      note: 'hold',
      nextRuns: ['2026-12-03T01:00:00.000Z'],
      recentRuns: [{ runId, scheduledAt: '2026-12-02T01:00:00.000Z', startedAt: '2026-12-02T01:00:01.000Z' }],
      runningRuns: [runId],
      createdAt: '2026-12-01T00:00:00.000Z',
      updatedAt: null,
      temporalUiUrl: 'http://ui/namespaces/ns/schedules/braise-nightly',
    });
  });
});
