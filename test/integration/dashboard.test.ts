/**
 * The web dashboard as a user meets it: a real `braise up` (subprocess, fresh home, so the dashboard is built
 * on start), Debian's Chromium driven by playwright-core. It signs in with the local token, starts the demo
 * recipe (60 steps) from the page, sees it in the runs list, follows it to the end on its page, checks the
 * loss curve draws exactly the points `/v1/runs/:id/metrics` has, opens the model's lineage, and finds no
 * console error and no request that left the server; a run paused on a failed stage shows the error, and its
 * Resume button continues it once the cause is fixed. Screenshots go to .ci/artifacts/screenshots/ (CI keeps them).
 *
 * Chromium is /usr/bin/chromium (`apt-get install chromium`; BRAISE_CHROMIUM overrides). Without it the test
 * skips locally and fails in CI (CI=true), where .ci/run installs it.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RUN_PAGE_PATH } from '../../cli/commands/open.ts';
import { startBraiseUp, type BraiseUp } from '../support/braise-cli.ts';
import { apiCaller, testHome, type TestHome } from './harness.ts';
import { NOISE, tinyRecipe } from './recipes.ts';

const CHROMIUM = process.env.BRAISE_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = join(ROOT, '.ci/artifacts/screenshots');

/** recipes/demo.yaml with 60 steps (a checkpoint every 20), as a user would shorten it to try the page. */
async function shortDemo(): Promise<string> {
  const text = await readFile(join(ROOT, 'recipes/demo.yaml'), 'utf8');
  const short = text.replace('steps: 800', 'steps: 60').replace('checkpointEvery: 200', 'checkpointEvery: 20');
  expect(short).toContain('steps: 60');
  return short;
}

const Metrics = z.object({ series: z.array(z.object({ stage: z.string(), name: z.string(), points: z.array(z.tuple([z.number(), z.number()])) })) });
const Drawn = z.object({ xs: z.number(), ys: z.number(), canvas: z.boolean() }).nullable();
const Lineage = z.object({ upstream: z.array(z.unknown()).optional(), downstream: z.array(z.unknown()).optional() });

if (!HAVE_CHROMIUM && process.env.CI !== 'true') console.warn(`dashboard browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
if (!HAVE_CHROMIUM && process.env.CI === 'true') {
  describe('dashboard (browser)', () => {
    it('needs Chromium', () => {
      throw new Error(`Chromium is missing at ${CHROMIUM}: .ci/run installs it (apt-get install chromium)`);
    });
  });
}

describe.skipIf(!HAVE_CHROMIUM)('dashboard (browser)', () => {
  let home: TestHome;
  let up: BraiseUp;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const foreign: string[] = [];
  const api = apiCaller(
    () => up.url,
    () => up.token,
  );
  const shot = async (name: string) => {
    const path = join(SHOTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
  };

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    home = await testHome('pglite');
    // The data root lets the pause test name a file: source that appears only later.
    up = await startBraiseUp({ ...home.env, BRAISE_DATA_ROOTS: home.home });
    // Root in a container has no user namespace for Chromium's sandbox.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(up.url) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await up?.stop();
    await home?.cleanup();
  });

  it('signs in, starts the demo, follows it live and draws every loss point the API has', async () => {
    await page.goto(`${up.url}/`);
    // Not signed in: the login page, which refuses a wrong token with the API's message.
    await page.waitForSelector('input[name=token]');
    await page.fill('input[name=token]', 'not-a-token');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('[role=alert]')).toContain('invalid or revoked token');
    // Chromium logs the refused request itself; that one is expected, nothing else.
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    problems.length = 0;
    await page.fill('input[name=token]', up.token);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=No runs match');
    await shot('login-runs-empty');

    // Start the demo from the page.
    await page.click('summary:has-text("Start a run")');
    await page.fill('textarea[name=recipe]', await shortDemo());
    await page.click('details.start button[type=submit]');
    await page.waitForURL(/#\/runs\/r-/);
    const runId = decodeURIComponent(page.url().split('#/runs/')[1]!);

    // The runs list shows it (polled), then its row leads back to the run page.
    await page.click('nav.top >> text=Runs');
    const row = page.locator(`tr[data-run="${runId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('demo');
    await shot('runs');
    // The filters are the API's: another recipe's name hides it, its own shows it again.
    await page.fill('input[name=recipe]', 'no-such-recipe');
    await page.press('input[name=recipe]', 'Enter');
    await page.waitForSelector('text=No runs match');
    await page.fill('input[name=recipe]', 'demo');
    await page.press('input[name=recipe]', 'Enter');
    await row.waitFor();
    await row.locator('a').first().click();

    // Live: the page polls until the run ends; the DAG shows every stage with its edges.
    await page.waitForSelector('main[data-run-status="completed"]', { timeout: 240_000 });
    for (const stage of ['web', 'clean', 'base', 'eval']) await page.locator(`svg.graph g[data-node="${stage}"]`).waitFor();
    expect(await page.locator('svg.graph path.edge').count()).toBe(3);
    expect(await page.locator('tr[data-stage="base"]').textContent()).toContain('completed');

    // The loss curve has exactly the API's points, as the element says and as uPlot holds them.
    const metrics = Metrics.parse((await api('GET', `/v1/runs/${runId}/metrics?stage=base&name=train/loss`)).body);
    const points = metrics.series[0]!.points;
    expect(points.length).toBe(60);
    const chart = page.locator('[data-chart="base:loss"]');
    await expect.poll(() => chart.getAttribute('data-points')).toBe(String(points.length));
    // uPlot's own data (window.braiseCharts, dashboard/components/chart.tsx), read in the page.
    const drawn = Drawn.parse(
      await page.evaluate(`(() => {
        const u = window.braiseCharts && window.braiseCharts.get('base:loss');
        return u ? { xs: u.data[0].length, ys: u.data[1].filter((v) => v !== null && v !== undefined).length, canvas: !!document.querySelector('[data-chart="base:loss"] canvas') } : null;
      })()`),
    );
    expect(drawn).toEqual({ xs: points.length, ys: points.length, canvas: true });
    // The evaluation table by domain, with the model beside the n-gram baselines.
    const evaluation = await page.locator('table.data:has(caption:has-text("bits per byte by domain"))').textContent();
    for (const genre of ['news', 'editorial', 'lore', 'belles_lettres', 'trigram']) expect(evaluation).toContain(genre);
    await shot('run');

    // The model's page: its metadata and its lineage graph, one node per artifact the API's walks reach.
    await page.click('tr[data-stage="base"] a.artifact-link:has-text("model")');
    await page.waitForSelector('[data-lineage] svg g[data-node]');
    const artifactId = decodeURIComponent(page.url().split('#/artifacts/')[1]!);
    const up_ = Lineage.parse((await api('GET', `/v1/artifacts/${artifactId}/lineage?direction=up`)).body);
    const down = Lineage.parse((await api('GET', `/v1/artifacts/${artifactId}/lineage?direction=down`)).body);
    const expected = 1 + (up_.upstream?.length ?? 0) + (down.downstream?.length ?? 0);
    expect(await page.locator('[data-lineage] svg g[data-node]').count()).toBe(expected);
    expect(await page.locator('[data-lineage] svg path.edge').count()).toBeGreaterThanOrEqual(expected - 1);
    expect(await page.textContent('main')).toContain('pretrain');
    await shot('artifact-lineage');

    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);

    // A token that stops working sends the user back to the login page.
    await page.evaluate(`localStorage.setItem('braise.token', 'revoked')`);
    await page.goto(`${up.url}${RUN_PAGE_PATH(runId)}`); // where `braise open` points
    await page.waitForSelector('input[name=token]');
    expect(page.url()).toContain('#/login?next=');
    // Chromium logged that refused request too; nothing else.
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    problems.length = 0;
  });

  it('shows a paused run\'s error, and Resume continues it once the cause is fixed', async () => {
    const late = join(home.home, 'late.jsonl');
    const recipe = tinyRecipe({ name: 'pause', steps: 6, checkpointEvery: 3 }).replace(`file:${NOISE}`, `file:${late}`);
    const started = z.object({ runId: z.string() }).parse((await api('POST', '/v1/runs', { recipe })).body);
    // Signed out by the previous test: the login page, then back to the run it was asked for.
    await page.goto(`${up.url}${RUN_PAGE_PATH(started.runId)}`);
    await page.fill('input[name=token]', up.token);
    await page.click('button[type=submit]');
    await page.waitForSelector('main[data-run-status="paused"]', { timeout: 120_000 });
    expect(await page.textContent('.failure')).toContain('noise');
    await shot('run-paused');

    await copyFile(NOISE, late);
    await page.click('button:has-text("Resume")');
    await page.waitForSelector('main[data-run-status="completed"]', { timeout: 120_000 });
    expect(await page.locator('tr[data-stage="noise"]').textContent()).toContain('completed');
    expect(problems).toEqual([]);
  });
});
