/**
 * `braise schedule create|list|describe|pause|unpause|trigger|delete`: recipes run on a cron expression or an
 * interval, as Temporal Schedules (infra/schedules.ts), through the API or embedded like every command. A bad
 * recipe, cron expression, interval, time zone or catch-up window exits 2 naming it, and nothing is created.
 */
import { InvalidInputError, type ScheduleRequest, type ScheduleView } from '../../service/contract.ts';
import { addLines, formatIssue } from '../../recipe/index.ts';
import { scheduleSettings } from '../../infra/schedules.ts';
import { withService, type Connection } from '../connect.ts';
import { table } from '../table.ts';
import { EXIT, say } from '../io.ts';
import { readRecipeForStart } from './run.ts';

export interface ScheduleCreateOptions {
  cron?: string;
  every?: string;
  timezone?: string;
  name?: string;
  catchupWindow?: string;
  cache?: boolean; // commander turns --no-cache into cache: false
  onFailure?: 'pause' | 'fail';
  set?: string[];
  json?: boolean;
}

/** The request fields as the CLI's flags, for messages. */
const FLAG: Record<string, string> = { name: '--name', cron: '--cron', every: '--every', timezone: '--timezone', catchupWindow: '--catchup-window' };

function printIssues(what: string, recipe: object | null, err: InvalidInputError): number {
  const issues = recipe ? addLines(recipe, err.issues) : err.issues;
  say(`${what}:\n${issues.map((i) => `  ${formatIssue({ ...i, path: FLAG[i.path] ?? i.path })}`).join('\n')}`);
  return EXIT.invalid;
}

/** A schedule in a few lines: what it runs, when, its state, its next and recent runs. */
export function renderSchedule(s: ScheduleView): string {
  const when = s.cron !== null ? `cron "${s.cron}" (${s.timezone})` : `every ${s.every}`;
  const lines = [
    `schedule ${s.name}: recipe ${s.recipe}, ${when}, ${s.paused ? 'PAUSED' : 'active'}${s.note ? ` (${s.note})` : ''}`,
    `  overlap skip, catch-up window ${s.catchupWindow}; Temporal Schedule ${s.scheduleId} — ${s.temporalUiUrl}`,
    `  next: ${s.paused ? '(paused)' : s.nextRuns.slice(0, 3).join(', ') || '(none)'}`,
  ];
  if (s.recentRuns.length > 0) lines.push(`  recent runs: ${s.recentRuns.map((r) => `${r.runId} (${r.scheduledAt})`).join(', ')}`);
  if (s.runningRuns.length > 0) lines.push(`  running: ${s.runningRuns.join(', ')}`);
  return lines.join('\n');
}

function print(value: unknown, json: boolean | undefined, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** Scheduled runs need workers; embedded, the CLI's own leave with it. */
function workersNote(conn: Connection): void {
  if (conn.mode === 'embedded') say('note: no Braise API answered, so this ran embedded: scheduled runs start only while workers run (braise up, or braise worker).');
}

export async function scheduleCreateCommand(file: string, opts: ScheduleCreateOptions): Promise<number> {
  const recipe = await readRecipeForStart(file, opts.set);
  if (typeof recipe === 'number') return recipe;
  const settings: Omit<ScheduleRequest, 'recipe'> = {
    ...(opts.name !== undefined && { name: opts.name }),
    ...(opts.cron !== undefined && { cron: opts.cron }),
    ...(opts.every !== undefined && { every: opts.every }),
    ...(opts.timezone !== undefined && { timezone: opts.timezone }),
    ...(opts.catchupWindow !== undefined && { catchupWindow: opts.catchupWindow }),
    ...(opts.cache === false && { noCache: true }),
    ...(opts.onFailure !== undefined && { onFailure: opts.onFailure }),
  };
  try {
    // Every flag checked here first: a bad one exits 2 before anything is reached.
    scheduleSettings(settings, recipe.name);
  } catch (err) {
    if (err instanceof InvalidInputError) return printIssues(`${file}: invalid schedule`, null, err);
    throw err;
  }
  return withService({ queues: [] }, async (conn) => {
    try {
      const { schedule, created } = await conn.service.putSchedule({ recipe, ...settings });
      say(`schedule ${schedule.name} ${created ? 'created' : 'updated'} — ${schedule.temporalUiUrl}`);
      workersNote(conn);
      print(schedule, opts.json, () => renderSchedule(schedule));
      return EXIT.ok;
    } catch (err) {
      if (err instanceof InvalidInputError) return printIssues(`${file}: invalid schedule`, recipe, err);
      throw err;
    }
  });
}

export async function scheduleListCommand(opts: { json?: boolean }): Promise<number> {
  return withService({ queues: [] }, async (conn) => {
    const { schedules } = await conn.service.listSchedules();
    print({ schedules }, opts.json, () =>
      schedules.length === 0
        ? 'no schedules (create one with: braise schedule create <recipe> --cron "0 2 * * *")'
        : table([
            ['name', 'recipe', 'when', 'state', 'next run', 'last run'],
            ...schedules.map((s) => [
              s.name,
              s.recipe,
              s.cron !== null ? `${s.cron} (${s.timezone})` : `every ${s.every}`,
              s.paused ? 'paused' : 'active',
              s.paused ? '-' : (s.nextRuns[0] ?? '-'),
              s.recentRuns.at(-1)?.runId ?? '-',
            ]),
          ]),
    );
    return EXIT.ok;
  });
}

export async function scheduleDescribeCommand(name: string, opts: { json?: boolean }): Promise<number> {
  return withService({ queues: [] }, async (conn) => {
    const s = await conn.service.getSchedule(name);
    print(s, opts.json, () => renderSchedule(s));
    return EXIT.ok;
  });
}

export async function schedulePauseCommand(name: string, opts: { note?: string; json?: boolean }, pause: boolean): Promise<number> {
  return withService({ queues: [] }, async (conn) => {
    const s = pause ? await conn.service.pauseSchedule(name, opts.note) : await conn.service.unpauseSchedule(name, opts.note);
    say(`schedule ${name} ${pause ? 'paused' : 'unpaused'}`);
    print(s, opts.json, () => renderSchedule(s));
    return EXIT.ok;
  });
}

export async function scheduleTriggerCommand(name: string, opts: { json?: boolean }): Promise<number> {
  return withService({ queues: [] }, async (conn) => {
    const r = await conn.service.triggerSchedule(name);
    say(
      r.runId
        ? `schedule ${name} started run ${r.runId} (braise status ${r.runId})`
        : `schedule ${name} triggered; no new run showed yet (one is skipped while the previous run is open: ${r.schedule.runningRuns.join(', ') || 'none'})`,
    );
    workersNote(conn);
    print(r, opts.json, () => renderSchedule(r.schedule));
    return EXIT.ok;
  });
}

export async function scheduleDeleteCommand(name: string): Promise<number> {
  return withService({ queues: [] }, async (conn) => {
    await conn.service.deleteSchedule(name);
    say(`schedule ${name} deleted (the runs it started stay)`);
    return EXIT.ok;
  });
}
