/**
 * Sweeps as a user runs them, over HTTP and the CLI, on a real Temporal dev server, PGlite and real training: a 2×2
 * sweep (learning rate × batch size) of ingest → filter → pretrain → evaluate is validated with its cells, a bad cell
 * is a 422 naming it, and the sweep runs as an ablation run whose Temporal history starts one child per cell; the
 * filter (the same in every cell) runs once; the report's table and best cell agree with the child runs' own
 * metrics, and `braise report` / `braise status` print them. A failing cell fails the sweep once the others ended,
 * and the report lists it; cancelling a sweep cancels its running cells.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import { serveApi, type ServingApi } from '../../api/server.ts';
import { TokenStore } from '../../infra/auth/tokens.ts';
import { openRuntime, type BraiseRuntime } from '../../infra/runtime.ts';
import { createRunService } from '../../infra/service.ts';
import type { RunReport, RunService } from '../../service/contract.ts';
import type { RunView } from '../../service/view.ts';
import { apiCaller, testHome, waitForRun, type TestHome } from './harness.ts';
import { tinyRecipe } from './recipes.ts';

const BIN = fileURLToPath(new URL('../../bin/braise.js', import.meta.url));
const METRIC = 'perplexity/mean/bits_per_byte';

function sweepRecipe(name: string, opts: { steps?: number; lrs?: string; extra?: string } = {}): string {
  return `${tinyRecipe({ name, steps: opts.steps ?? 10, checkpointEvery: 5 })}sweep:
  matrix:
    stages.base.with.lr: ${opts.lrs ?? '[0.01, 0.003]'}
    stages.base.with.batchSize: [4, 8]
  parallelism: 2
  compare: { metric: eval/${METRIC}, goal: minimize }
${opts.extra ?? ''}`;
}

describe('sweeps', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let service: RunService;
  let server: ServingApi;
  let token: string;

  const api = apiCaller(() => server.url, () => token);
  const cli = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...home.env, BRAISE_API_URL: server.url, BRAISE_TOKEN: token } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    home = await testHome('pglite');
    rt = await openRuntime({ config: home.config, queues: ['control', 'cpu', 'gpu'] });
    service = createRunService(rt);
    token = await new TokenStore(rt.database).create('it');
    server = await serveApi(createApp({ service, tokens: new TokenStore(rt.database) }), { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await rt?.close();
    await home?.cleanup();
  });

  it('validates every cell: the plan shows them, and a bad value in one cell is a 422 naming the cell, the path and its line', async () => {
    const ok = await api('POST', '/v1/recipes/validate', sweepRecipe('sweep-check'));
    expect(ok.status).toBe(200);
    const plan = (ok.body as { plan: { nodes: unknown[]; sweep: { cells: Array<{ index: number; values: Record<string, unknown> }> } } }).plan;
    expect(plan.nodes).toEqual([]);
    expect(plan.sweep.cells.map((c) => [c.values['stages.base.with.lr'], c.values['stages.base.with.batchSize']])).toEqual([[0.01, 4], [0.01, 8], [0.003, 4], [0.003, 8]]);

    const text = sweepRecipe('sweep-bad', { lrs: '[0.01, -1]' });
    const bad = await api('POST', '/v1/recipes/validate', text);
    expect(bad.status).toBe(422);
    const details = (bad.body as { error: { details: Array<{ path: string; line?: number; message: string }> } }).error.details;
    const line = text.split('\n').findIndex((l) => l.includes('[0.01, -1]')) + 1;
    // The API puts the line into each detail's message.
    expect(details.map((d) => d.path)).toEqual(['stages[1].with.lr', 'stages[1].with.lr']);
    expect(details[0]!.message).toMatch(new RegExp(`^line ${line}: sweep cell 3 \\(stages\\.base\\.with\\.lr=-1, stages\\.base\\.with\\.batchSize=4\\): `));
    expect(details[1]!.message).toMatch(new RegExp(`^line ${line}: sweep cell 4 \\(stages\\.base\\.with\\.lr=-1, stages\\.base\\.with\\.batchSize=8\\): `));
    // Nothing started.
    const bad2 = await api('POST', '/v1/runs', text);
    expect(bad2.status).toBe(422);
    expect((await service.listRuns({ recipe: 'sweep-bad' })).runs).toEqual([]);
  });

  it('runs a 2×2 sweep as child runs: the shared filter once, and a report whose table and winner are the children\'s own metrics', async () => {
    const started = await api('POST', '/v1/runs', sweepRecipe('sweep-grid'));
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const { runId, workflowId } = started.body as { runId: string; workflowId: string };
    const parent = await waitForRun(service, runId, (v) => v.status !== 'running', { timeoutMs: 540_000 });
    expect(parent.status, parent.error ?? '').toBe('completed');
    expect(parent.cells!.map((c) => c.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(parent.report).toMatch(/^[0-9a-f]{64}$/);

    // The parent's history starts one child per cell, with ids derived from its own.
    const history = await rt.client!.workflow.getHandle(workflowId).fetchHistory();
    const children = (history.events ?? []).flatMap((e) => (e.startChildWorkflowExecutionInitiatedEventAttributes ? [e.startChildWorkflowExecutionInitiatedEventAttributes] : []));
    expect(children.map((c) => [c.workflowType?.name, c.workflowId])).toEqual([1, 2, 3, 4].map((i) => ['recipeRun', `${workflowId}-c${i}`]));

    // Each child is a run in lineage that names its parent; their own views.
    const views: RunView[] = [];
    for (const cell of parent.cells!) {
      const row = await rt.lineage.getRun(cell.runId);
      expect((row!.options as { parent?: unknown }).parent).toEqual({ runId, cell: cell.index });
      const res = await api('GET', `/v1/runs/${cell.runId}`);
      expect(res.status).toBe(200);
      expect((res.body as RunView).parent).toEqual({ runId, cell: cell.index });
      views.push(res.body as RunView);
    }
    // The cells trained different models.
    expect(new Set(views.map((v) => v.stages.find((s) => s.id === 'base')!.outputs[0]!.artifactId)).size).toBe(4);

    const res = await api('GET', `/v1/runs/${runId}/report`);
    expect(res.status).toBe(200);
    const { report, artifactId } = res.body as RunReport;
    expect(artifactId).toBe(parent.report);
    const own = views.map((v) => v.stages.find((s) => s.id === 'eval')!.metrics[METRIC]!);
    expect(report.cells.map((c) => c.metric)).toEqual(own);
    expect(report.cells.map((c) => c.runId)).toEqual(parent.cells!.map((c) => c.runId));
    expect(report.cells.map((c) => c.headlines['base/final_loss'])).toEqual(views.map((v) => v.stages.find((s) => s.id === 'base')!.metrics.final_loss));
    const best = own.indexOf(Math.min(...own));
    expect(report.best).toEqual({ index: best + 1, runId: parent.cells![best]!.runId, values: parent.cells![best]!.values, metric: own[best] });
    expect(report.regressions).toBeNull();
    expect(parent.cells!.map((c) => c.metric)).toEqual(own);
    // The report artifact is the parent's output in lineage.
    const lineage = await api('GET', `/v1/artifacts/${artifactId}/lineage`);
    expect((lineage.body as { artifact: { kind: string; meta: Record<string, unknown> } }).artifact).toMatchObject({ kind: 'report', meta: { kind: 'sweep-report', runId } });
    // A run that is not a sweep has no report.
    expect((await api('GET', `/v1/runs/${parent.cells![0]!.runId}/report`)).status).toBe(404);

    const printed = await cli('report', runId);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain(`best: cell ${best + 1} (stages.base.with.lr=`);
    expect(printed.stdout).toMatch(/CELL\s+STAGES\.BASE\.WITH\.LR\s+STAGES\.BASE\.WITH\.BATCHSIZE\s+STATUS/);
    const status = await cli('status', runId);
    expect(status.code, status.stderr).toBe(0);
    for (const c of parent.cells!) expect(status.stdout).toContain(c.runId);

    // `braise run` of the same sweep: every stage of every cell from the cache, a line per cell as it ends, then the report.
    const file = join(home.home, 'grid.yaml');
    await writeFile(file, sweepRecipe('sweep-grid'));
    const again = await cli('run', file);
    expect(again.code, again.stderr).toBe(0);
    for (const i of [1, 2, 3, 4]) expect(again.stderr).toMatch(new RegExp(`^cell ${i} \\(stages\\.base\\.with\\.lr=.*\\) completed \\(run r-[^)]+-c${i}\\): metric ${own[i - 1]!.toFixed(4)}$`, 'm'));
    expect(again.stdout).toContain(`best: cell ${best + 1} (`);

    // The filter is the same in every cell: completed once in all four runs, the other three reuse its output, even
    // though two cells run at once (last, as it needs single-flight stages, the dedup work of issue 12).
    const cleanSteps = (await Promise.all(parent.cells!.map((c) => rt.lineage.stepsForRun(c.runId)))).flat().filter((s) => s.stageId === 'clean');
    expect(cleanSteps.filter((s) => s.status === 'completed')).toHaveLength(1);
    expect(cleanSteps.filter((s) => s.status === 'cached')).toHaveLength(3);
    expect(new Set(views.map((v) => v.stages.find((s) => s.id === 'clean')!.outputs[0]!.artifactId)).size).toBe(1);
  });

  it('a cell that fails fails the sweep, naming it, after the other cells ended and the report listed it; a resume runs it again', async () => {
    // The openai engine's endpoint refuses connections: that cell's rewrite fails (no retries), the rules cell's works.
    const text = `${tinyRecipe({ name: 'sweep-fail' }).split('  - id: base')[0]}  - id: fix
    kind: rewrite
    inputs: [clean.rejected]
    retries: 0
    with: { baseUrl: "http://127.0.0.1:9/v1", modelName: nobody, maxRetries: 0, timeoutMs: 2000 }
sweep:
  matrix:
    stages.fix.with.engine: [openai, rules]
  compare: { metric: fix/kept, goal: maximize }
`;
    const started = await api('POST', '/v1/runs', text);
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const { runId } = started.body as { runId: string };
    const parent = await waitForRun(service, runId, (v) => v.status !== 'running', { timeoutMs: 240_000 });
    expect(parent.status).toBe('failed');
    expect(parent.cells!.map((c) => c.status)).toEqual(['failed', 'completed']);
    expect(parent.error).toMatch(new RegExp(`^1 of 2 cells failed: cell 1 \\(run ${runId}-c1\\): stage "fix" failed: `));
    const { report } = (await api('GET', `/v1/runs/${runId}/report`)).body as RunReport;
    expect(report.cells.map((c) => [c.status, c.error === null])).toEqual([['failed', false], ['completed', true]]);
    expect(report.best?.index).toBe(2);
    const child = (await api('GET', `/v1/runs/${runId}-c1`)).body as RunView;
    expect(child.status).toBe('failed');
    expect(child.stages.find((s) => s.id === 'fix')!.status).toBe('failed');

    // Resumed, the sweep runs again as a new execution: the cell that worked comes from the cache.
    const resumed = await api('POST', `/v1/runs/${runId}/resume`);
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(202);
    const again = (resumed.body as { runId: string; mode: string });
    expect(again.mode).toBe('new-execution');
    const second = await waitForRun(service, again.runId, (v) => v.status !== 'running', { timeoutMs: 240_000 });
    expect(second.status).toBe('failed');
    expect(second.cells!.map((c) => c.status)).toEqual(['failed', 'completed']);
    const rules = (await api('GET', `/v1/runs/${again.runId}-c2`)).body as RunView;
    expect(rules.stages.map((s) => s.status)).toEqual(['cached', 'cached', 'cached', 'cached']);
  });

  it('cancelling a sweep cancels its running cells and starts no more', async () => {
    const started = await api('POST', '/v1/runs', sweepRecipe('sweep-cancel', { steps: 4000 }));
    expect(started.status).toBe(201);
    const { runId } = started.body as { runId: string };
    const running = await waitForRun(service, runId, (v) => (v.cells ?? []).some((c) => c.status === 'running'), { timeoutMs: 120_000 });
    const firstCell = running.cells!.find((c) => c.status === 'running')!;
    // Wait until that cell trains, so its trainer is what the cancellation reaches.
    // (Its lineage row is written by the child's first activity: until then the run is not found.)
    await waitForRun(service, firstCell.runId, (v) => v.stages.find((s) => s.id === 'base')?.status === 'running', { timeoutMs: 120_000, tolerateErrors: true });
    expect((await api('POST', `/v1/runs/${runId}/cancel`)).status).toBe(202);
    const parent = await waitForRun(service, runId, (v) => v.status !== 'running', { timeoutMs: 120_000 });
    expect(parent.status).toBe('cancelled');
    expect(parent.cells!.every((c) => c.status === 'cancelled')).toBe(true);
    const child = await waitForRun(service, firstCell.runId, (v) => v.status !== 'running', { timeoutMs: 60_000 });
    expect(child.status).toBe('cancelled');
    // Cells that never started have no run.
    expect((await rt.lineage.childRuns(runId)).length).toBeLessThanOrEqual(2);
    expect((await api('GET', `/v1/runs/${runId}/report`)).status).toBe(404);
  });
});
