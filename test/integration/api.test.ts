/**
 * The HTTP API as a user drives it: a real server on loopback, real Temporal
 * dev server, real lineage database, real training. Start a run and follow it
 * to completion, read its metrics and lineage, cancel a run mid-training and
 * see its trainer process end, and the error contract.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import { serveApi, type ServingApi } from '../../api/server.ts';
import { TokenStore } from '../../infra/auth/tokens.ts';
import { openRuntime, type BraiseRuntime } from '../../infra/runtime.ts';
import { createRunService } from '../../infra/service.ts';
import { trainerPids } from '../../ml/runner.ts';
import { testHome, type TestHome } from './harness.ts';
import { tinyRecipe } from './recipes.ts';

const BIN = fileURLToPath(new URL('../../bin/braise.js', import.meta.url));

interface RunBody {
  runId: string;
  workflowId: string;
  temporalUiUrl: string;
  status: string;
  stages: Array<{ id: string; status: string; outputs: Array<{ port: string; artifactId: string }>; progress?: { step: number } | null }>;
}

describe('HTTP API', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let server: ServingApi;
  let token: string;

  const api = async (method: string, path: string, init: { body?: string; type?: string; headers?: Record<string, string>; auth?: boolean } = {}) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      body: init.body,
      headers: {
        ...(init.auth === false ? {} : { authorization: `Bearer ${token}` }),
        ...(init.type ? { 'content-type': init.type } : {}),
        ...init.headers,
      },
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };

  const waitFor = async (runId: string, pred: (r: RunBody) => boolean, timeoutMs = 180_000): Promise<RunBody> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = (await api('GET', `/v1/runs/${runId}`)).body as unknown as RunBody;
      if (pred(r)) return r;
      if (Date.now() > deadline) throw new Error(`run ${runId} still ${r.status}`);
      await new Promise((res) => setTimeout(res, 300));
    }
  };

  beforeAll(async () => {
    home = await testHome('pglite');
    rt = await openRuntime({ config: home.config, queues: ['control', 'cpu', 'gpu'] });
    const tokens = new TokenStore(rt.database);
    token = await tokens.create('it');
    server = await serveApi(createApp({ service: createRunService(rt), tokens }), { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await rt?.close();
    await home?.cleanup();
  });

  it('starts a run from YAML, follows it to completion, serves its metrics and lineage', async () => {
    const started = await api('POST', '/v1/runs', { body: tinyRecipe({ name: 'api-run', steps: 20 }), type: 'application/yaml' });
    expect(started.status).toBe(201);
    const runId = started.body.runId as string;
    expect(started.body.temporalUiUrl).toContain(started.body.workflowId as string);

    const done = await waitFor(runId, (r) => r.status !== 'running');
    expect(done.status).toBe('completed');
    expect(done.stages.map((s) => s.status)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);

    const metrics = await api('GET', `/v1/runs/${runId}/metrics?stage=base&name=train/loss`);
    expect(metrics.status).toBe(200);
    const series = metrics.body.series as Array<{ stage: string; name: string; points: Array<[number, number]> }>;
    expect(series).toHaveLength(1);
    expect(series[0]!.points.map(([s]) => s)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

    const model = done.stages.find((s) => s.id === 'base')!.outputs.find((o) => o.port === 'model')!;
    const artifact = await api('GET', `/v1/artifacts/${model.artifactId}`);
    expect(artifact.body).toMatchObject({ id: model.artifactId, kind: 'model' });
    const lineage = await api('GET', `/v1/artifacts/${model.artifactId}/lineage?direction=up`);
    const producers = (lineage.body.upstream as Array<{ producedBy: { stageId: string } | null }>).map((u) => u.producedBy?.stageId);
    expect(producers).toEqual(expect.arrayContaining(['clean', 'web', 'noise']));

    const list = await api('GET', '/v1/runs?recipe=api-run&limit=5');
    expect((list.body.runs as Array<{ runId: string }>).map((r) => r.runId)).toContain(runId);

    // The Temporal UI (and any visibility query) can filter runs by the recipe's search attribute.
    const seen: string[] = [];
    for (let i = 0; i < 20 && seen.length === 0; i++) {
      for await (const w of rt.client!.workflow.list({ query: `BraiseRecipe = "api-run" AND BraiseStatus = "Completed"` })) seen.push(w.workflowId);
      if (seen.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(seen).toContain(started.body.workflowId);
  });

  it('cancels a run mid-training: the trainer process is gone within seconds', async () => {
    const started = await api('POST', '/v1/runs', {
      body: JSON.stringify({ recipe: tinyRecipe({ name: 'api-cancel', steps: 5000 }) }),
      type: 'application/json',
    });
    expect(started.status).toBe(201);
    const runId = started.body.runId as string;
    await waitFor(runId, (r) => (r.stages.find((s) => s.id === 'base')?.progress?.step ?? 0) >= 3);
    const pids = trainerPids();
    expect(pids.length).toBe(1);

    const cancel = await api('POST', `/v1/runs/${runId}/cancel`);
    expect(cancel.status).toBe(202);
    const t0 = Date.now();
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (pids.some(alive) && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 100));
    expect(pids.some(alive)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const ended = await waitFor(runId, (r) => r.status !== 'running', 30_000);
    expect(ended.status).toBe('cancelled');
  });

  it('starts one run for a repeated Idempotency-Key', async () => {
    const body = tinyRecipe({ name: 'api-idem', steps: 5 });
    const headers = { 'idempotency-key': 'retry-me-123' };
    const a = await api('POST', '/v1/runs', { body, type: 'application/yaml', headers });
    const b = await api('POST', '/v1/runs', { body, type: 'application/yaml', headers });
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect(b.body.runId).toBe(a.body.runId);
    const other = await api('POST', '/v1/runs', { body: body.replace('steps: 5', 'steps: 6'), type: 'application/yaml', headers });
    expect(other.status).toBe(409);
    await waitFor(a.body.runId as string, (r) => r.status !== 'running');
    const list = await api('GET', '/v1/runs?recipe=api-idem');
    expect((list.body.runs as unknown[]).length).toBe(1);
  });

  it('answers bad requests with one error shape: 401, 404, 413, 422 with paths', async () => {
    const noAuth = await api('GET', '/v1/runs', { auth: false });
    expect(noAuth.status).toBe(401);
    expect(noAuth.body).toMatchObject({ error: { code: 'unauthorized' } });
    const wrong = await api('GET', '/v1/runs', { auth: false, headers: { authorization: 'Bearer brs_nope' } });
    expect(wrong.status).toBe(401);

    const missing = await api('GET', '/v1/runs/r-doesnotexist');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'not_found' } });
    expect((await api('GET', '/v1/nothing-here')).status).toBe(404);

    // 2 MiB on a fresh connection, with Content-Length, read the way curl does: the server may answer before the
    // upload ends and then close, so write errors after the response are expected.
    const big = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const payload = Buffer.alloc(2 * 1024 * 1024, 0x23);
      const req = httpRequest(`${server.url}/v1/runs`, {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml', 'content-length': payload.length },
      }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', (err) => (err.message.includes('EPIPE') || err.message.includes('ECONNRESET') ? undefined : reject(err)));
      req.end(payload);
    });
    expect(big.status).toBe(413);
    expect((JSON.parse(big.body) as { error: { code: string } }).error.code).toBe('payload_too_large');

    const invalid = await api('POST', '/v1/runs', { body: tinyRecipe().replace('steps: 40', 'steps: -1').replace('name: tiny', 'name: Tiny!'), type: 'application/yaml' });
    expect(invalid.status).toBe(422);
    const details = (invalid.body.error as { details: Array<{ path: string }> }).details.map((d) => d.path);
    expect(details).toEqual(expect.arrayContaining(['name', 'stages[1].with.steps']));

    const ready = await api('GET', '/readyz', { auth: false });
    expect(ready.status).toBe(200);
  });

  it('lets the CLI talk to the running API (the embedded database is busy in this process)', async () => {
    const list = await api('GET', '/v1/runs?limit=1');
    const runId = (list.body.runs as Array<{ runId: string }>)[0]!.runId;
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'status', runId, '--json'], {
        env: { ...process.env, ...home.env, BRAISE_API_URL: server.url, BRAISE_TOKEN: token },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    expect(out.code, out.stderr).toBe(0);
    expect((JSON.parse(out.stdout) as { runId: string }).runId).toBe(runId);
  });
});
