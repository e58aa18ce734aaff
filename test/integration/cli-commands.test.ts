/**
 * The CLI's run commands as a user runs them, against one real `braise up` (the suite's Temporal server, its own
 * home and PGlite, a token from `braise token create`): list with filters, logs (--stage, --follow ending with the
 * run), cancel, validate (with no server), open, --set stages.<id>.with.<field>, --version and shell completion.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { httpRunService } from '../../service/http.ts';
import type { RunService, StageLogEntry } from '../../service/contract.ts';
import { BRAISE_BIN, runBraise, startBraiseUp, type BraiseUp } from '../support/braise-cli.ts';
import { testHome, waitForRun, type TestHome } from './harness.ts';
import { NOISE, tinyRecipe } from './recipes.ts';

describe('braise list, logs, cancel, validate, open, completion', () => {
  let home: TestHome;
  let up: BraiseUp;
  let env: Record<string, string>;
  let service: RunService;
  let file: string;
  const braise = (...args: string[]) => runBraise(args, env);

  beforeAll(async () => {
    home = await testHome('pglite');
    // The token is made first: the embedded database belongs to `braise up` once it runs.
    const token = await runBraise(['token', 'create', '--name', 'cli-commands'], home.env);
    expect(token.code, token.stderr).toBe(0);
    // Runs over HTTP may read `file:` sources only under BRAISE_DATA_ROOTS: the fixtures the tiny recipe reads.
    up = await startBraiseUp({ ...home.env, BRAISE_DATA_ROOTS: dirname(NOISE) });
    env = { ...home.env, BRAISE_API_URL: up.url, BRAISE_TOKEN: token.stdout.trim() };
    service = httpRunService(up.url, env.BRAISE_TOKEN!);
    file = join(home.home, 'cli-cmds.yaml');
    await writeFile(file, tinyRecipe({ name: 'cli-cmds', steps: 30 }));
  });
  afterAll(async () => {
    await up?.stop();
    await home?.cleanup();
  });

  it('validates a recipe without any server, --set with. applied; a bad one exits 2 with every path and line', async () => {
    // A home that does not exist and no Temporal address: any start-up (dev server, database) would create the home.
    const nowhere = join(home.home, 'never-made');
    const offline = { ...home.env, BRAISE_HOME: nowhere, TEMPORAL_ADDRESS: '', BRAISE_API_URL: 'http://127.0.0.1:9' };
    const ok = await runBraise(['validate', file], offline);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`${file}: valid — recipe "cli-cmds"`);
    expect(ok.stdout).toMatch(/NODE\s+KIND\s+QUEUE\s+INPUTS\s+FINGERPRINT/);
    expect(ok.stdout).toMatch(/\nbase\s+pretrain\s+braise-gpu\s+clean\.kept\s+[0-9a-f]{12}\n/);

    const set = await runBraise(['validate', file, '--json', '--set', 'stages.base.with.lr=1e-3', '--set', 'stages.base.steps=7'], offline);
    expect(set.code, set.stderr).toBe(0);
    const plan = JSON.parse(set.stdout) as { nodes: Array<{ id: string; with: Record<string, unknown> }> };
    expect(plan.nodes.find((n) => n.id === 'base')!.with).toMatchObject({ lr: 0.001, steps: 7 });

    const badSet = await runBraise(['validate', file, '--set', 'stages.base.with.lr=-1'], offline);
    expect(badSet.code).toBe(2);
    expect(badSet.stderr).toContain('stages[1].with.lr');

    const bad = join(home.home, 'bad.yaml');
    await writeFile(bad, tinyRecipe({ name: 'bad' }).replace('steps: 40', 'steps: -3').replace('inputs: [clean]', 'inputs: [clean]\n    bogus: true'));
    const invalid = await runBraise(['validate', bad], offline);
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toBe('');
    expect(invalid.stderr).toMatch(/stages\[1\]\.with\.steps.*line \d+/s);
    expect(invalid.stderr).toContain('unknown key "bogus"');
    await expect(stat(nowhere)).rejects.toThrow(/ENOENT/);
  });

  it('runs with --set stages.base.with.lr while `braise logs --follow` prints its stage logs and ends with it', async () => {
    const run = spawn(process.execPath, [BRAISE_BIN, 'run', file, '--json', '--set', 'stages.base.with.lr=5e-3'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let runOut = '';
    let runErr = '';
    run.stdout.on('data', (d: Buffer) => (runOut += d.toString()));
    const runExit = new Promise<number>((resolve) => run.on('close', (code) => resolve(code ?? -1)));
    const runId = await new Promise<string>((resolve, reject) => {
      run.stderr.on('data', (d: Buffer) => {
        runErr += d.toString();
        const m = /run (\S+) started on the Braise API/.exec(runErr);
        if (m) resolve(m[1]!);
      });
      void runExit.then(() => reject(new Error(`braise run ended before it started a run: ${runErr}`)));
    });
    const followed = await braise('logs', runId, '--follow');
    expect(followed.code, followed.stderr).toBe(0);
    // --follow ended because the run did: it has completed by the time it returns.
    expect((await service.getRun(runId)).status).toBe('completed');
    expect(await runExit, runErr).toBe(0);
    expect((JSON.parse(runOut) as { status: string }).status).toBe('completed');

    const lines = followed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (web|noise)#1 info {2}ingest "(web|noise)" attempt 1 started on braise-cpu$/);
    // Each stage's start and end, a training stage's progress, the trainer child's own line, evaluate's scores.
    for (const want of [
      /base#1 info {2}pretrain "base" attempt 1 started on braise-gpu/,
      /base#1 info {2}backend \w+; \d+ docs, \d+ tokens/,
      /base#1 info {2}step \d+\/30 loss \d+\.\d{4}/,
      /base#1 info {2}checkpoint at step 10/,
      /base#1 info {2}completed in \d+\.\ds: /,
      /clean#1 info {2}completed in/,
      /eval#1 info {2}domain '\w+': \d\.\d{4} bits\/byte/,
    ]) {
      expect(followed.stdout).toMatch(want);
    }
    // What --follow printed as the run went is the whole log, each line once.
    const all = await braise('logs', runId);
    expect(all.stdout).toBe(followed.stdout);

    const base = await braise('logs', runId, '--stage', 'base', '--json');
    expect(base.code, base.stderr).toBe(0);
    const entries = base.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as StageLogEntry);
    expect(entries.length).toBeGreaterThan(5);
    expect(new Set(entries.map((e) => e.stage))).toEqual(new Set(['base']));
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i));

    const none = await braise('logs', runId, '--stage', 'nope');
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain(`run ${runId} has no log lines of stage "nope"`);

    const unknown = await braise('logs', 'no-such-run');
    expect(unknown.code).toBe(4);
  });

  it('cancels a training run (exit 0), then refuses to cancel it again (exit 1); its log says how the stage ended', async () => {
    const long = join(home.home, 'long.yaml');
    await writeFile(long, tinyRecipe({ name: 'cli-cmds-cancel', steps: 5000, checkpointEvery: 1000 }));
    const { runId } = await service.startRun({ recipe: await readFile(long, 'utf8') });
    await waitForRun(service, runId, (v) => (v.stages.find((s) => s.id === 'base')?.progress?.step ?? 0) > 0, { timeoutMs: 60_000 });
    const cancel = await braise('cancel', runId);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stderr).toContain(`run ${runId}: cancellation requested`);
    await waitForRun(service, runId, (v) => v.status === 'cancelled', { timeoutMs: 30_000 });
    const again = await braise('cancel', runId);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`run ${runId} already ended (cancelled)`);
    expect((await braise('cancel', 'no-such-run')).code).toBe(4);

    // The stage's attempt ends (its log closed) a moment after the run does.
    let ended: StageLogEntry | undefined;
    for (let i = 0; i < 40 && !ended; i++, await new Promise((r) => setTimeout(r, 250))) {
      ended = (await service.logs(runId, { stage: 'base' })).lines.find((l) => l.level === 'error');
    }
    expect(ended?.message).toMatch(/^failed after \d+\.\ds: CancelledFailure/);
  });

  it('lists runs newest first, filtered by recipe and status, a page at a time; finds the API from BRAISE_HOST/BRAISE_PORT', async () => {
    const all = await braise('list', '--json');
    expect(all.code, all.stderr).toBe(0);
    const page = JSON.parse(all.stdout) as { runs: Array<{ runId: string; recipe: string; status: string }>; nextCursor: string | null };
    expect(page.runs.map((r) => [r.recipe, r.status])).toEqual([
      ['cli-cmds-cancel', 'cancelled'],
      ['cli-cmds', 'completed'],
    ]);
    const [cancelled, completed] = page.runs;

    const byRecipe = JSON.parse((await braise('list', '--recipe', 'cli-cmds', '--json')).stdout) as typeof page;
    expect(byRecipe.runs.map((r) => r.runId)).toEqual([completed!.runId]);
    const byStatus = JSON.parse((await braise('list', '--status', 'cancelled', '--json')).stdout) as typeof page;
    expect(byStatus.runs.map((r) => r.runId)).toEqual([cancelled!.runId]);
    const badStatus = await braise('list', '--status', 'done');
    expect(badStatus.code).not.toBe(0);
    expect(badStatus.stderr).toContain("Allowed choices are running, completed, failed, cancelled, paused");

    const badLimit = await braise('list', '--limit', '501');
    expect(badLimit.code).not.toBe(0);
    expect(badLimit.stderr).toContain("option '--limit <n>' argument '501' is invalid. expected an integer from 1 to 500");

    const first = await braise('list', '--limit', '1');
    expect(first.code, first.stderr).toBe(0);
    const [header, row, more] = first.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^RUN\s+RECIPE\s+STATUS\s+STARTED \(UTC\)\s+DURATION\s+SCHEDULE$/);
    expect(row).toMatch(new RegExp(`^${cancelled!.runId}\\s+cli-cmds-cancel\\s+cancelled\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+\\S+\\s+-$`));
    const cursor = /^more: braise list --cursor (\S+) --limit 1$/.exec(more ?? '')?.[1];
    expect(cursor, first.stdout).toBeDefined();
    const second = await braise('list', '--limit', '1', '--cursor', cursor!, '--json');
    expect((JSON.parse(second.stdout) as typeof page).runs.map((r) => r.runId)).toEqual([completed!.runId]);

    // No BRAISE_API_URL: the CLI looks where `braise up` listens with this environment (were it to run embedded, the
    // database `braise up` holds would refuse it).
    const port = new URL(up.url).port;
    const found = await runBraise(['list', '--json'], { ...env, BRAISE_API_URL: '', BRAISE_HOST: '127.0.0.1', BRAISE_PORT: port });
    expect(found.code, found.stderr).toBe(0);
    expect((JSON.parse(found.stdout) as typeof page).runs).toHaveLength(2);
  });

  it("prints a run's dashboard page, and hands it to BROWSER when set", async () => {
    const { runs } = await service.listRuns({ limit: 1 });
    const runId = runs[0]!.runId;
    const plain = await braise('open', runId);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toBe(`${up.url}/#/runs/${runId}\n`);

    const opened = join(home.home, 'opened.txt');
    const browser = join(home.home, 'browser.sh');
    await writeFile(browser, `#!/bin/sh\necho "$1" > "${opened}"\n`);
    await chmod(browser, 0o755);
    const viaBrowser = await runBraise(['open', runId], { ...env, BROWSER: browser });
    expect(viaBrowser.code, viaBrowser.stderr).toBe(0);
    let got = '';
    for (let i = 0; i < 40 && !got; i++, await new Promise((r) => setTimeout(r, 100))) got = await readFile(opened, 'utf8').catch(() => '');
    expect(got).toBe(`${up.url}/#/runs/${runId}\n`);
  });

  it('prints its version, and completion scripts that bash (and zsh) load and that complete commands', async () => {
    const version = await braise('--version');
    expect(version.stdout).toBe(`${pkg.version}\n`);

    const braiseCmd = `${process.execPath} ${BRAISE_BIN}`;
    const script = [
      `source <(${braiseCmd} completion bash)`,
      'complete -p braise',
      'COMP_WORDS=(braise sch); COMP_CWORD=1; _braise; echo "1:${COMPREPLY[*]}"',
      'COMP_WORDS=(braise schedule p); COMP_CWORD=2; _braise; echo "2:${COMPREPLY[*]}"',
      'COMP_WORDS=(braise logs r1 --st); COMP_CWORD=3; _braise; echo "3:${COMPREPLY[*]}"',
      'COMP_WORDS=(braise completion ""); COMP_CWORD=2; _braise; echo "4:${COMPREPLY[*]}"',
    ].join('\n');
    const bash = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, ...env } });
    expect(bash.status, bash.stderr).toBe(0);
    expect(bash.stdout.split('\n')).toEqual(['complete -o default -F _braise braise', '1:schedule', '2:pause', '3:--stage', '4:bash zsh --help', '']);

    const zsh = spawnSync('zsh', ['--version'], { encoding: 'utf8' });
    if (zsh.status !== 0) {
      // CI installs zsh (.ci/run); elsewhere the check needs it installed.
      expect(process.env.CI, 'zsh is not installed').toBeUndefined();
      return;
    }
    const zshFile = join(home.home, '_braise');
    await writeFile(zshFile, (await braise('completion', 'zsh')).stdout);
    const check = spawnSync('zsh', ['-n', zshFile], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const loaded = spawnSync('zsh', ['-fc', `autoload -U compinit && compinit -u -d ${join(home.home, 'zcompdump')}; source ${zshFile}; print -r -- "\${_comps[braise]}"`], { encoding: 'utf8' });
    expect(loaded.stdout.trim(), loaded.stderr).toBe('_braise');
  });
});
