import { describe, expect, it } from 'vitest';
import { errorOf, RECIPE_JSON, RECIPE_YAML, setup } from './fakes.ts';

const yaml = (body: string, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/yaml', ...headers }, body });
const json = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

interface Started {
  runId: string;
  workflowId: string;
  temporalUiUrl: string;
}

describe('POST /v1/runs', () => {
  it('starts a run from YAML text: the service gets the text; 201 with the run and its Location', async () => {
    const { call, service } = setup();
    const res = await call('/v1/runs', yaml(RECIPE_YAML));
    expect(res.status).toBe(201);
    const body = (await res.json()) as Started;
    expect(body).toEqual({ runId: 'run-1', workflowId: 'braise-run-1', temporalUiUrl: 'http://localhost:8233/namespaces/default/workflows/braise-run-1' });
    expect(res.headers.get('location')).toBe('/v1/runs/run-1');
    expect(service.startRequests).toEqual([{ recipe: RECIPE_YAML }]);
  });

  it('accepts text/yaml with a charset too', async () => {
    const { call, service } = setup();
    const res = await call('/v1/runs', yaml(RECIPE_YAML, { 'content-type': 'text/yaml; charset=utf-8' }));
    expect(res.status).toBe(201);
    expect(service.startRequests[0]!.recipe).toBe(RECIPE_YAML);
  });

  it('starts a run from a JSON recipe (apiVersion at top level): the service gets the object', async () => {
    const { call, service } = setup();
    const res = await call('/v1/runs', json(RECIPE_JSON));
    expect(res.status).toBe(201);
    expect(service.startRequests).toEqual([{ recipe: RECIPE_JSON }]);
  });

  it('starts a run from JSON { recipe, noCache, onFailure }, with the recipe as YAML text or as an object', async () => {
    const { call, service } = setup();
    expect((await call('/v1/runs', json({ recipe: RECIPE_YAML, noCache: true, onFailure: 'fail' }))).status).toBe(201);
    expect((await call('/v1/runs', json({ recipe: RECIPE_JSON, onFailure: 'pause' }))).status).toBe(201);
    expect(service.startRequests).toEqual([
      { recipe: RECIPE_YAML, noCache: true, onFailure: 'fail' },
      { recipe: RECIPE_JSON, onFailure: 'pause' },
    ]);
  });

  it('takes a JSON string body as the recipe\'s YAML text', async () => {
    const { call, service } = setup();
    const res = await call('/v1/runs', json(RECIPE_YAML));
    expect(res.status).toBe(201);
    expect(service.startRequests).toEqual([{ recipe: RECIPE_YAML }]);
  });

  it('answers 422 with paths for bad run options, without starting anything', async () => {
    const { call, service } = setup();
    const res = await call('/v1/runs', json({ recipe: RECIPE_YAML, noCache: 'yes', onFailure: 'retry', extra: 1 }));
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.code).toBe('invalid_request');
    expect(err.details.map((d) => d.path).sort()).toEqual(['body', 'body.noCache', 'body.onFailure']);
    expect(err.details.find((d) => d.path === 'body')!.message).toContain('"extra"');
    expect(service.startRequests).toHaveLength(0);
  });

  it('answers 422 for a JSON body that is neither form', async () => {
    const { call } = setup();
    for (const body of [{ name: 'x' }, [1, 2], 42, null]) {
      const res = await call('/v1/runs', json(body));
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await errorOf(res)).details[0]!.path).toBe('body');
    }
  });

  it('answers 422 invalid_recipe with every issue, its path and line, when the service rejects the recipe', async () => {
    const { call } = setup();
    const bad = RECIPE_YAML.replace('steps: 20', 'steps: -3').replace('kind: pretrain', 'kind: pretrian');
    const res = await call('/v1/runs', yaml(bad));
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.code).toBe('invalid_recipe');
    expect(err.details.length).toBeGreaterThanOrEqual(1);
    const kind = err.details.find((d) => d.path === 'stages[0].kind');
    expect(kind, JSON.stringify(err.details)).toBeDefined();
    expect(kind!.message).toMatch(/^line 9: /);
  });

  it('reports JSON recipe issues by path (no line: there is no source text)', async () => {
    const { call } = setup();
    const res = await call('/v1/runs', json({ ...RECIPE_JSON, seed: 'seven' }));
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.details.map((d) => d.path)).toEqual(['seed']);
    expect(err.details[0]!.message).not.toMatch(/^line/);
  });

  it('passes the Idempotency-Key: 201 the first time, 200 with the same run on a retry', async () => {
    const { call, service } = setup();
    const first = await call('/v1/runs', yaml(RECIPE_YAML, { 'idempotency-key': 'nightly-2025-01-01' }));
    expect(first.status).toBe(201);
    const again = await call('/v1/runs', json({ recipe: RECIPE_YAML }, { 'idempotency-key': 'nightly-2025-01-01' }));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(await first.json());
    expect(service.startRequests.map((r) => r.idempotencyKey)).toEqual(['nightly-2025-01-01', 'nightly-2025-01-01']);
    expect(service.runs.size).toBe(1);
  });

  it('answers 409 when the service reports a conflict', async () => {
    const { call } = setup();
    await call('/v1/runs', yaml(RECIPE_YAML, { 'idempotency-key': 'k1' }));
    const res = await call('/v1/runs', yaml(RECIPE_YAML.replace('seed: 7', 'seed: 8'), { 'idempotency-key': 'k1' }));
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: 'conflict', message: expect.stringContaining('k1') });
  });
});

describe('GET /v1/runs', () => {
  it('lists newest first with a default limit of 50, passing filters and the cursor to the service', async () => {
    const { call, service } = setup();
    service.addRun({ runId: 'a', recipe: 'tiny', status: 'completed' });
    service.addRun({ runId: 'b', recipe: 'other', status: 'failed' });
    service.addRun({ runId: 'c', recipe: 'tiny', status: 'completed' });
    const all = (await (await call('/v1/runs')).json()) as { runs: Array<{ runId: string }>; nextCursor: string | null };
    expect(all.runs.map((r) => r.runId)).toEqual(['c', 'b', 'a']);
    expect(all.nextCursor).toBeNull();

    const page = (await (await call('/v1/runs?recipe=tiny&status=completed&limit=1')).json()) as typeof all;
    expect(page.runs.map((r) => r.runId)).toEqual(['c']);
    const next = (await (await call(`/v1/runs?recipe=tiny&status=completed&limit=1&cursor=${page.nextCursor}`)).json()) as typeof all;
    expect(next.runs.map((r) => r.runId)).toEqual(['a']);

    expect(service.listQueries).toEqual([
      { limit: 50 },
      { recipe: 'tiny', status: 'completed', limit: 1 },
      { recipe: 'tiny', status: 'completed', limit: 1, cursor: page.nextCursor },
    ]);
  });

  it('answers 422 naming query.cursor for a cursor it did not hand out, without asking the service', async () => {
    const { call, service } = setup();
    const forged = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const cursor of ['garbage', '%00', 'eyJ', forged(['not a date', 'r-1']), forged(['-271821-04-20T00:00:00.000Z', 'r-1']), forged(['2025-01-01T00:00:00Z', 'r\u0000']), forged({ a: 1 })]) {
      const res = await call(`/v1/runs?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor).toBe(422);
      const err = await errorOf(res);
      expect(err.details.map((d) => d.path), cursor).toEqual(['query.cursor']);
      expect(err.details[0]!.message, cursor).toMatch(/nextCursor|NUL/);
    }
    expect(service.listQueries).toHaveLength(0);
  });

  it('answers 422 naming the parameter for a NUL in any query or path string (Postgres cannot store it)', async () => {
    const { call, service } = setup();
    service.addRun({ runId: 'a', recipe: 'tiny', status: 'completed' });
    const cases: Array<[string, string]> = [
      ['/v1/runs?recipe=ti%00ny', 'query.recipe'],
      ['/v1/runs/a%00b', 'params.id'],
      ['/v1/runs/a/metrics?stage=%00', 'query.stage'],
      ['/v1/runs/a/metrics?name=lo%00ss', 'query.name'],
      ['/v1/artifacts/x%00', 'params.id'],
      ['/v1/artifacts/x%00/lineage', 'params.id'],
    ];
    for (const [path, where] of cases) {
      const res = await call(path);
      expect(res.status, path).toBe(422);
      const err = await errorOf(res);
      expect(err.details.map((d) => d.path), path).toEqual([where]);
      expect(err.details[0]!.message).toMatch(/NUL/);
    }
    expect(service.listQueries).toHaveLength(0);
    expect(service.metricsQueries).toHaveLength(0);
  });

  it('answers 422 with the path of each bad query parameter', async () => {
    const { call, service } = setup();
    const cases: Array<[string, string[]]> = [
      ['status=exploded', ['query.status']],
      ['limit=0', ['query.limit']],
      ['limit=501', ['query.limit']],
      ['limit=ten', ['query.limit']],
      ['limit=2.5', ['query.limit']],
      ['status=exploded&limit=1000', ['query.limit', 'query.status']],
      ['stauts=running', ['query']],
    ];
    for (const [qs, paths] of cases) {
      const res = await call(`/v1/runs?${qs}`);
      expect(res.status, qs).toBe(422);
      const err = await errorOf(res);
      expect(err.code).toBe('invalid_request');
      expect(err.details.map((d) => d.path).sort(), qs).toEqual(paths);
    }
    expect(service.listQueries).toHaveLength(0);
  });

  it('accepts the limits 1 and 500', async () => {
    const { call, service } = setup();
    expect((await call('/v1/runs?limit=1')).status).toBe(200);
    expect((await call('/v1/runs?limit=500')).status).toBe(200);
    expect(service.listQueries.map((q) => q.limit)).toEqual([1, 500]);
  });
});

describe('one run', () => {
  it('GET /v1/runs/:id answers the RunView', async () => {
    const { call, service } = setup();
    service.addRun({ runId: 'r1', recipe: 'tiny', status: 'running' });
    const res = await call('/v1/runs/r1');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(await service.getRun('r1'));
  });

  it('GET /v1/runs/:id/metrics answers series of [step, value], filtered by stage and name', async () => {
    const { call, service } = setup();
    service.addRun({ runId: 'r1', recipe: 'tiny', status: 'running' });
    const res = await call('/v1/runs/r1/metrics?stage=base&name=loss');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ series: [{ stage: 'base', name: 'loss', producedBy: { runId: 'r1', stageId: 'base' }, points: [[1, 5.5], [2, 4.75]] }] });
    expect(service.metricsQueries).toEqual([{ runId: 'r1', q: { stage: 'base', name: 'loss' } }]);
    expect((await call('/v1/runs/nope/metrics')).status).toBe(404);
  });

  it('GET /v1/runs/:id/logs hands the service the stage, cursor and limit, and refuses a bad cursor or limit naming it', async () => {
    const { call, service } = setup();
    service.addRun({ runId: 'r1', recipe: 'tiny', status: 'running' });
    const cursor = Buffer.from(JSON.stringify([['base', 1, 4]])).toString('base64url');
    const res = await call(`/v1/runs/r1/logs?stage=base&after=${cursor}&limit=20`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { runId: string; lines: Array<{ stage: string }>; nextCursor: string };
    expect(body.lines.map((l) => l.stage)).toEqual(['base', 'base']);
    expect(body.nextCursor).toBe('c1');
    expect((await call('/v1/runs/r1/logs')).status).toBe(200);
    expect(service.logsQueries).toEqual([
      { runId: 'r1', q: { stage: 'base', after: cursor, limit: 20 } },
      { runId: 'r1', q: { limit: 1000 } },
    ]);
    for (const [qs, where] of [
      ['after=nope', 'query.after'],
      ['limit=0', 'query.limit'],
      ['limit=5001', 'query.limit'],
      ['stage=%00', 'query.stage'],
      ['since=1', 'query'],
    ] as const) {
      const bad = await call(`/v1/runs/r1/logs?${qs}`);
      expect(bad.status, qs).toBe(422);
      expect((await errorOf(bad)).details.map((d) => d.path), qs).toEqual([where]);
    }
    expect(service.logsQueries).toHaveLength(2);
    expect((await call('/v1/runs/nope/logs')).status).toBe(404);
  });

  it('POST /v1/runs/:id/cancel answers 202 with the status; 409 when already ended; 404 when unknown', async () => {
    const { call, service } = setup();
    service.addRun({ runId: 'r1', recipe: 'tiny', status: 'running' });
    const res = await call('/v1/runs/r1/cancel', { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ runId: 'r1', status: 'cancelled' });
    expect((await call('/v1/runs/r1/cancel', { method: 'POST' })).status).toBe(409);
    expect((await call('/v1/runs/nope/cancel', { method: 'POST' })).status).toBe(404);
  });
});

describe('POST /v1/runs/:id/resume', () => {
  it('resumes a paused run in place (202), with or without a body, passing changed settings through', async () => {
    const { call, service } = setup();
    service.addRun({ runId: 'r1', recipe: 'tiny', status: 'paused' });
    const res = await call('/v1/runs/r1/resume', json({ with: { 'stages.base.lr': 0.001 } }));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ runId: 'r1', resumedFrom: 'r1', mode: 'in-place' });
    expect(service.resumeRequests).toEqual([{ runId: 'r1', with: { 'stages.base.lr': 0.001 } }]);

    service.addRun({ runId: 'r2', recipe: 'tiny', status: 'failed' });
    const bare = await call('/v1/runs/r2/resume', { method: 'POST' });
    expect(bare.status).toBe(202);
    expect(await bare.json()).toMatchObject({ resumedFrom: 'r2', mode: 'new-execution' });
  });

  it('answers 422 with the path of a NUL anywhere in `with` (keys and nested values), resuming nothing', async () => {
    const { call, service } = setup();
    service.addRun({ runId: 'r1', recipe: 'tiny', status: 'paused' });
    const res = await call('/v1/runs/r1/resume', json({ with: { 'stages.base.lr': 0.001, 'stages.base.note': 'a\u0000b', 'stages.x\u0000': 1, 'stages.base.tags': [{ t: ['ok', '\u0000'] }] } }));
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.details.map((d) => d.path).sort()).toEqual(['body.with.stages.base.note', 'body.with.stages.base.tags[0].t[1]', 'body.with.stages.x\u0000'].sort());
    expect(err.details.every((d) => /NUL/.test(d.message))).toBe(true);
    expect(service.resumeRequests).toHaveLength(0);
  });

  it('answers 409 for a run still running, 404 for an unknown one, 422 for unknown body keys', async () => {
    const { call, service } = setup();
    service.addRun({ runId: 'r1', recipe: 'tiny', status: 'running' });
    expect((await call('/v1/runs/r1/resume', { method: 'POST' })).status).toBe(409);
    expect((await call('/v1/runs/nope/resume', { method: 'POST' })).status).toBe(404);
    const bad = await call('/v1/runs/r1/resume', json({ with: {}, extra: 1 }));
    expect(bad.status).toBe(422);
  });
});
