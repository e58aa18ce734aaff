/**
 * Schedules as a user drives them: a real `braise up` (API and every worker in one process) on the suite's
 * Temporal dev server, the `braise schedule` commands through its API and `/v1/schedules` over real HTTP. A bad
 * cron expression, time zone or recipe is refused naming it, with nothing created; a schedule is created (its
 * cron far away), described, listed, triggered into a normal Braise run that completes and is found by
 * `GET /v1/runs?schedule=`, `braise status` and `BraiseSchedule` in Temporal's visibility; paused and unpaused,
 * updated by name (its pause state kept), and deleted. A scheduled sweep's report compares each night with the one
 * before: the second night, trained less, names the cells that regressed.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBraise, startBraiseUp, type BraiseUp } from '../support/braise-cli.ts';
import { testHome, type TestHome } from './harness.ts';

interface Schedule {
  name: string;
  recipe: string;
  cron: string | null;
  every: string | null;
  timezone: string;
  overlap: string;
  catchupWindow: string;
  paused: boolean;
  note: string | null;
  nextRuns: string[];
  recentRuns: Array<{ runId: string }>;
}

const recipe = (name: string, steps = 5) => `apiVersion: braise/v1
name: ${name}
seed: 3
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [m] }
stages:
  - id: base
    kind: pretrain
    inputs: [web]
    with: { steps: ${steps}, batchSize: 4, lr: 1e-2, checkpointEvery: 5, holdout: 0.2 }
`;

/** A 2-cell sweep over the learning rate, compared on the pretrain's final loss: `steps` sets how good a night is. */
const sweepRecipe = (name: string, steps: number) => `${recipe(name, steps)}sweep:
  matrix: { stages.base.with.lr: [1e-2, 3e-2] }
  compare: { metric: base/final_loss, goal: minimize }
  regressionThreshold: 0.01
`;

interface Report {
  schedule: string | null;
  cells: Array<{ values: Record<string, unknown>; metric: number | null; runId: string }>;
  previous: { runId: string } | null;
  regressions: Array<{ values: Record<string, unknown>; metric: number | null; previous: number; change: number | null }> | null;
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('schedules against one braise up', () => {
  const tag = randomBytes(3).toString('hex');
  const recipeName = `sched-${tag}`;
  let home: TestHome;
  let up: BraiseUp;
  let url: string;
  let token: string;
  let file: string;
  let cliEnv: Record<string, string>;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    });
    const text = await res.text();
    return { status: res.status, text, json: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };
  const braise = (...args: string[]) => runBraise(args, cliEnv);

  beforeAll(async () => {
    home = await testHome('pglite');
    file = join(home.home, 'nightly.yaml');
    await writeFile(file, recipe(recipeName, 60));
    up = await startBraiseUp(home.env);
    ({ url, token } = up);
    // The CLI goes through this API (the harness points it nowhere by default).
    cliEnv = { ...home.env, BRAISE_API_URL: url };
  });

  afterAll(async () => {
    await up?.stop();
    await home?.cleanup();
  });

  it('refuses a malformed cron expression, an unknown time zone or a bad recipe, naming it, and creates nothing', async () => {
    const name = `bad-${tag}`;
    const good = { recipe: recipe(recipeName), cron: '0 2 * * *' };
    const cases: Array<[unknown, string, RegExp]> = [
      [{ ...good, cron: '0 2 * *' }, 'cron', /invalid cron expression "0 2 \* \*": expected 5 fields/],
      [{ ...good, cron: '0 2 * * FUNDAY' }, 'cron', /field 5 \(day of week\)/],
      [{ ...good, timezone: 'Mars/Olympus' }, 'timezone', /unknown time zone "Mars\/Olympus"/],
      [{ ...good, recipe: recipe(recipeName, -1) }, 'stages[0].with.steps', /line 11: .*expected number to be >0/],
    ];
    for (const [body, path, message] of cases) {
      const res = await api('PUT', `/v1/schedules/${name}`, body);
      expect(res.status, res.text).toBe(422);
      const details = (res.json.error as { details: Array<{ path: string; message: string }> }).details;
      expect(details.map((d) => d.path)).toEqual([path]);
      expect(details[0]!.message).toMatch(message);
      expect((await api('GET', `/v1/schedules/${name}`)).status).toBe(404);
    }

    const badCron = await braise('schedule', 'create', file, '--cron', '0 25 * * *', '--name', name);
    expect(badCron.code, badCron.stderr).toBe(2);
    expect(badCron.stderr).toContain('--cron: invalid cron expression "0 25 * * *": field 2 (hour) "25": 25 is outside 0–23');
    const badZone = await braise('schedule', 'create', file, '--cron', '0 2 * * *', '--timezone', 'Europe/Pariss', '--name', name);
    expect(badZone.code).toBe(2);
    expect(badZone.stderr).toContain('--timezone: unknown time zone "Europe/Pariss"');
    const badFile = join(home.home, 'bad.yaml');
    await writeFile(badFile, recipe(recipeName, -1));
    const badRecipe = await braise('schedule', 'create', badFile, '--cron', '0 2 * * *', '--name', name);
    expect(badRecipe.code).toBe(2);
    expect(badRecipe.stderr).toMatch(/line 11.*stages\[0\]\.with\.steps/);
    const describe = await braise('schedule', 'describe', name);
    expect(describe.code).toBe(4);
    expect(describe.stderr).toContain(`no schedule "${name}"`);
  });

  it("names a schedule after its recipe unless told, through POST /v1/schedules", async () => {
    const created = await braise('schedule', 'create', file, '--cron', '@daily', '--json');
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: recipeName, cron: '@daily', timezone: 'UTC' });
    expect((await api('GET', `/v1/schedules/${recipeName}`)).status).toBe(200);
    expect((await braise('schedule', 'delete', recipeName)).code).toBe(0);
    expect((await api('GET', `/v1/schedules/${recipeName}`)).status).toBe(404);
  });

  it('creates, lists, triggers a normal run that completes, pauses and unpauses, updates by name and deletes', async () => {
    const name = `nightly-${tag}`;
    // New Year's Day at 3 a.m. in Paris: far away, so only the trigger starts a run.
    const created = await braise('schedule', 'create', file, '--cron', '0 3 1 1 *', '--timezone', 'Europe/Paris', '--name', name, '--json');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain(`schedule ${name} created`);
    const s = JSON.parse(created.stdout) as Schedule;
    expect(s).toMatchObject({ name, recipe: recipeName, cron: '0 3 1 1 *', every: null, timezone: 'Europe/Paris', overlap: 'skip', catchupWindow: '1h', paused: false, recentRuns: [] });
    // 3 a.m. in Paris in January is 2 a.m. UTC.
    expect(s.nextRuns[0]).toMatch(/^\d{4}-01-01T02:00:00\.000Z$/);

    const got = await api('GET', `/v1/schedules/${name}`);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ name, cron: '0 3 1 1 *', scheduleId: `braise-${name}` });
    // Temporal's list is eventually consistent.
    await until('the schedule listed', async () => ((await api('GET', '/v1/schedules')).json.schedules as Schedule[]).some((x) => x.name === name));
    const listed = await braise('schedule', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${name}\\s+${recipeName}\\s+0 3 1 1 \\* \\(Europe/Paris\\)\\s+active`));

    const triggered = await braise('schedule', 'trigger', name, '--json');
    expect(triggered.code, triggered.stderr).toBe(0);
    const { runId } = JSON.parse(triggered.stdout) as { runId: string };
    expect(runId).toMatch(/^r-[0-9a-z]+$/);
    // Overlap skip: while that run is open, a second trigger starts nothing.
    const again = await api('POST', `/v1/schedules/${name}/trigger`);
    expect(again.status).toBe(202);
    // (Its answer comes after a few seconds of looking for a new run, when the first may have ended: runningRuns is not
    // asserted here; that only one run was started is, below.)
    expect(again.json).toMatchObject({ runId: null });
    const runs = await until('the run listed by schedule', async () => {
      const page = (await api('GET', `/v1/runs?schedule=${name}`)).json.runs as Array<{ runId: string; schedule: string; recipe: string }>;
      return page.length > 0 && page;
    });
    expect(runs).toEqual([expect.objectContaining({ runId, schedule: name, recipe: recipeName })]);
    const done = await until(
      'the run to complete',
      async () => {
        const view = (await api('GET', `/v1/runs/${runId}`)).json as { status: string; stages: Array<{ id: string; status: string }> };
        return view.status === 'completed' && view;
      },
      180_000,
    );
    expect(done.stages.map((st) => [st.id, st.status])).toEqual([['web', 'completed'], ['base', 'completed']]);
    const status = await braise('status', runId);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`run ${runId}: completed`);
    expect(((await api('GET', `/v1/runs?recipe=${recipeName}`)).json.runs as unknown[]).length).toBe(1);
    expect(((await api('GET', `/v1/schedules/${name}`)).json as unknown as Schedule).recentRuns.map((r) => r.runId)).toEqual([runId]);

    // The Temporal UI finds it by BraiseSchedule.
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const client = new Client({ connection, namespace: home.config.namespace });
      const ids = await until('visibility to show the run', async () => {
        const found: string[] = [];
        for await (const w of client.workflow.list({ query: `BraiseSchedule="${name}" AND WorkflowType="recipeRun"` })) found.push(w.workflowId);
        return found.length > 0 && found;
      });
      expect(ids).toEqual([`braise-${recipeName}-${runId}`]);
    } finally {
      await connection.close();
    }

    const paused = await braise('schedule', 'pause', name, '--note', 'dataset being rebuilt', '--json');
    expect(paused.code, paused.stderr).toBe(0);
    expect(JSON.parse(paused.stdout)).toMatchObject({ paused: true, note: 'dataset being rebuilt' });
    expect((await api('GET', `/v1/schedules/${name}`)).json).toMatchObject({ paused: true, note: 'dataset being rebuilt' });
    const unpaused = await api('POST', `/v1/schedules/${name}/unpause`, { note: 'rebuilt' });
    expect(unpaused.status).toBe(200);
    expect(unpaused.json).toMatchObject({ paused: false, note: 'rebuilt' });

    // Creating the same name updates it; a paused schedule stays paused.
    await api('POST', `/v1/schedules/${name}/pause`);
    const updated = await api('PUT', `/v1/schedules/${name}`, { recipe: recipe(recipeName), every: '1h', catchupWindow: '30m' });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json).toMatchObject({ name, cron: null, every: '1h', catchupWindow: '30m', paused: true });
    const described = await braise('schedule', 'describe', name);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain(`schedule ${name}: recipe ${recipeName}, every 1h, PAUSED`);

    const deleted = await braise('schedule', 'delete', name);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await api('GET', `/v1/schedules/${name}`)).status).toBe(404);
    expect((await braise('schedule', 'describe', name)).code).toBe(4);
    // Its runs stay.
    expect(((await api('GET', `/v1/runs?schedule=${name}`)).json.runs as unknown[]).length).toBe(1);
  });

  it("starts a sweep recipe as its ablation run; each night's report names the cells worse than the night before", async () => {
    const name = `ablate-${tag}`;
    const sweepName = `sweep-${tag}`;
    const night = async (steps: number): Promise<{ runId: string; report: Report }> => {
      const put = await api('PUT', `/v1/schedules/${name}`, { recipe: sweepRecipe(sweepName, steps), cron: '0 3 1 1 *' });
      expect([200, 201], put.text).toContain(put.status);
      const triggered = await api('POST', `/v1/schedules/${name}/trigger`);
      expect(triggered.status, triggered.text).toBe(202);
      const runId = triggered.json.runId as string;
      const view = await until(
        'the sweep to end',
        async () => {
          const v = (await api('GET', `/v1/runs/${runId}`)).json as { status: string; cells?: unknown[] };
          return (v.status === 'completed' || v.status === 'failed') && v;
        },
        240_000,
      );
      expect(view.status).toBe('completed');
      expect(view.cells).toHaveLength(2);
      const report = await api('GET', `/v1/runs/${runId}/report`);
      expect(report.status, report.text).toBe(200);
      return { runId, report: (report.json as unknown as { report: Report }).report };
    };

    const first = await night(20);
    expect(first.report.schedule).toBe(name);
    expect(first.report.previous).toBeNull();
    expect(first.report.regressions).toBeNull();
    expect(first.report.cells.map((c) => c.metric)).toEqual([expect.any(Number), expect.any(Number)]);

    // The next night trains a tenth as long: both cells end at a higher loss, beyond the 1 % threshold.
    const second = await night(2);
    expect(second.report.previous?.runId).toBe(first.runId);
    const before = new Map(first.report.cells.map((c) => [JSON.stringify(c.values), c.metric!]));
    expect(second.report.regressions).toHaveLength(2);
    for (const r of second.report.regressions!) {
      const was = before.get(JSON.stringify(r.values))!;
      expect(r.previous).toBeCloseTo(was, 10);
      expect(r.metric).toBeGreaterThan(was * 1.01);
      expect(r.change).toBeCloseTo((r.metric! - was) / Math.abs(was), 10);
    }
    // Its cells are runs of the schedule too.
    const listed = (await api('GET', `/v1/runs?schedule=${name}`)).json.runs as Array<{ runId: string }>;
    expect(listed.map((r) => r.runId)).toEqual(expect.arrayContaining([first.runId, second.runId]));
    expect((await api('DELETE', `/v1/schedules/${name}`)).status).toBe(200);
  });
});
