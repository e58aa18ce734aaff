/**
 * Two Braise homes on one machine, as two users would run them: two real
 * `braise up` processes, each with its own embedded Temporal dev server, ports,
 * lineage database and artifact store, running recipes at the same time. Each
 * run's artifacts and lineage are in its own home only; a home started on the
 * other's Temporal port is refused with what to do; `braise down` stops only
 * its own home's server. Responses of the real API are also checked against
 * the OpenAPI document, the way a generated client reads them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { portOpen } from '../../infra/temporal/dev-server.ts';
import { contract, type OpenApiDoc } from '../support/openapi-contract.ts';

const BIN = fileURLToPath(new URL('../../bin/braise.js', import.meta.url));

/** Builtin data only (no file: sources, which the API confines to data roots); `genres` makes each home's artifacts differ. */
function recipe(name: string, genre: string): string {
  return `apiVersion: braise/v1
name: ${name}
seed: 5
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [${genre}] }
stages:
  - id: clean
    kind: filter
    inputs: [web]
    with: { rules: [gopher-repetition] }
  - id: base
    kind: pretrain
    inputs: [clean]
    with: { steps: 6, batchSize: 4, lr: 1e-2, checkpointEvery: 3, holdout: 0.2 }
`;
}

interface Home {
  name: string;
  home: string;
  env: Record<string, string>;
  temporalPort: number;
  apiUrl: string;
  up: ChildProcess | null;
  token: string;
}

async function freePorts(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 9_000) * 3;
    const open = await Promise.all([base, base + 1, base + 2].map((p) => portOpen(p)));
    if (!open.some(Boolean)) return base;
  }
}

async function makeHome(name: string): Promise<Home> {
  const dir = await mkdtemp(join(tmpdir(), `braise-it-${name}-`));
  const home = join(dir, '.braise');
  const base = await freePorts();
  return {
    name,
    home,
    temporalPort: base,
    apiUrl: `http://127.0.0.1:${base + 2}`,
    up: null,
    token: '',
    env: {
      BRAISE_HOME: home,
      BRAISE_TEMPORAL_PORT: String(base),
      BRAISE_TEMPORAL_UI_PORT: String(base + 1),
      BRAISE_PORT: String(base + 2),
      TEMPORAL_ADDRESS: '',
      TEMPORAL_UI_URL: '',
      TEMPORAL_NAMESPACE: '',
      DATABASE_URL: '',
      BRAISE_API_URL: '',
      BRAISE_LOG_LEVEL: 'warn',
    },
  };
}

function braise(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Starts `braise up` for a home and resolves once its API answers. */
async function up(h: Home): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'up'], { env: { ...process.env, ...h.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  h.up = child;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`braise up (${h.name}) exited ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${h.apiUrl}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`braise up (${h.name}) did not serve in time: ${stderr}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  h.token = (await readFile(join(h.home, 'token'), 'utf8')).trim();
}

async function stop(h: Home): Promise<void> {
  const child = h.up;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

describe('two Braise homes on one machine', () => {
  let a: Home;
  let b: Home;
  let doc: OpenApiDoc;
  let check: ReturnType<typeof contract>;

  const api = async (h: Home, method: string, path: string, body?: string, type = 'application/yaml') => {
    const res = await fetch(`${h.apiUrl}${path}`, {
      method,
      body,
      headers: { authorization: `Bearer ${h.token}`, ...(body !== undefined ? { 'content-type': type } : {}) },
    });
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : null;
    check.check(method, path, res.status, json);
    return { status: res.status, body: json as Record<string, unknown> };
  };

  beforeAll(async () => {
    a = await makeHome('a');
    b = await makeHome('b');
    await up(a);
    doc = (await (await fetch(`${a.apiUrl}/v1/openapi.json`)).json()) as OpenApiDoc;
    check = contract(doc);
  });

  afterAll(async () => {
    for (const h of [a, b]) {
      if (!h) continue;
      await stop(h);
      await braise(['down'], h.env).catch(() => undefined);
      await rm(join(h.home, '..'), { recursive: true, force: true });
    }
  });

  it("refuses to start a home on another home's Temporal port, saying whose it is and what to do, touching nothing", async () => {
    const r = await braise(['up'], { ...b.env, BRAISE_TEMPORAL_PORT: String(a.temporalPort) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`belongs to another Braise home (${a.home})`);
    expect(r.stderr).toContain('BRAISE_TEMPORAL_PORT');
    expect(r.stderr).toContain(`TEMPORAL_ADDRESS=127.0.0.1:${a.temporalPort}`);
    expect(r.ms).toBeLessThan(30_000);
    await expect(access(join(b.home, 'lineage'))).rejects.toThrow();
    await expect(access(join(b.home, 'temporal.db'))).rejects.toThrow();
    // The refused home's `braise down` does not stop the other home's server.
    expect((await braise(['down'], { ...b.env, BRAISE_TEMPORAL_PORT: String(a.temporalPort) })).stderr).toMatch(/no embedded Temporal dev server/);
    expect(await portOpen(a.temporalPort)).toBe(true);
  });

  it('runs recipes side by side, each run in its own home, namespace, artifact store and lineage only', async () => {
    await up(b);
    const [ra, rb] = await Promise.all([api(a, 'POST', '/v1/runs', recipe('home-a', 'm')), api(b, 'POST', '/v1/runs', recipe('home-b', 'r'))]);
    expect(ra.status).toBe(201);
    expect(rb.status).toBe(201);
    const runA = ra.body.runId as string;
    const runB = rb.body.runId as string;
    const nsA = loadConfig({ ...process.env, ...a.env }).namespace;
    const nsB = loadConfig({ ...process.env, ...b.env }).namespace;
    expect(nsA).not.toBe(nsB);
    expect(ra.body.temporalUiUrl).toContain(`/namespaces/${nsA}/workflows/`);
    expect(rb.body.temporalUiUrl).toContain(`/namespaces/${nsB}/workflows/`);

    const finish = async (h: Home, runId: string) => {
      const deadline = Date.now() + 300_000;
      for (;;) {
        const r = await api(h, 'GET', `/v1/runs/${runId}`);
        const status = r.body.status as string;
        if (status !== 'running') return r.body as { status: string; stages: Array<{ id: string; status: string; outputs: Array<{ artifactId: string }> }> };
        if (Date.now() > deadline) throw new Error(`run ${runId} still running`);
        await new Promise((res) => setTimeout(res, 500));
      }
    };
    const [viewA, viewB] = await Promise.all([finish(a, runA), finish(b, runB)]);
    expect(viewA.status, JSON.stringify(viewA)).toBe('completed');
    expect(viewB.status, JSON.stringify(viewB)).toBe('completed');

    const outputs = (v: typeof viewA) => v.stages.flatMap((s) => s.outputs.map((o) => o.artifactId));
    // Content addressing: an output both homes produced byte for byte (an empty `rejected`) has one id in both.
    const both = outputs(viewA).filter((id) => outputs(viewB).includes(id));
    const [own, other] = [outputs(viewA).filter((id) => !both.includes(id)), outputs(viewB).filter((id) => !both.includes(id))];
    expect(own.length).toBeGreaterThanOrEqual(4);
    expect(other.length).toBeGreaterThanOrEqual(4);
    for (const [h, mine, theirs, myRun, theirRun] of [[a, own, other, runA, runB], [b, other, own, runB, runA]] as const) {
      for (const id of mine) {
        const art = await api(h, 'GET', `/v1/artifacts/${id}`);
        expect(art.status).toBe(200);
        const file = fileURLToPath(art.body.uri as string);
        expect(file.startsWith(join(h.home, 'artifacts'))).toBe(true);
        await expect(access(file)).resolves.toBeUndefined();
        const otherHome = h === a ? b : a;
        await expect(access(join(otherHome.home, 'artifacts', file.slice(join(h.home, 'artifacts').length)))).rejects.toThrow();
      }
      for (const id of theirs) expect((await api(h, 'GET', `/v1/artifacts/${id}`)).status, `${h.name} has ${id}`).toBe(404);
      expect((await api(h, 'GET', `/v1/runs/${theirRun}`)).status).toBe(404);
      const lineage = await api(h, 'GET', `/v1/artifacts/${mine.at(-1)}/lineage`);
      expect(lineage.status).toBe(200);
      const producers = (lineage.body.upstream as Array<{ producedBy: { runId: string } | null }>).map((u) => u.producedBy?.runId);
      expect(producers.every((r) => r === myRun || r === undefined)).toBe(true);
      const list = await api(h, 'GET', '/v1/runs?limit=500');
      expect((list.body.runs as Array<{ runId: string }>).map((r) => r.runId)).toEqual([myRun]);
    }
    // Each workflow is in its home's namespace on its home's server, and nowhere else.
    for (const [h, ns, wf, otherPort] of [[a, nsA, ra.body.workflowId, b.temporalPort], [b, nsB, rb.body.workflowId, a.temporalPort]] as const) {
      const mine = await Connection.connect({ address: `127.0.0.1:${h.temporalPort}` });
      const theirs = await Connection.connect({ address: `127.0.0.1:${otherPort}` });
      try {
        const d = await new Client({ connection: mine, namespace: ns }).workflow.getHandle(wf as string).describe();
        expect(d.taskQueue).toBe('braise-control');
        await expect(new Client({ connection: mine, namespace: 'default' }).workflow.getHandle(wf as string).describe()).rejects.toThrow();
        await expect(new Client({ connection: theirs, namespace: ns }).workflow.getHandle(wf as string).describe()).rejects.toThrow();
      } finally {
        await mine.close();
        await theirs.close();
      }
    }

    // The real service and the document agree on cancelling a finished run, a bad cursor and a NUL.
    const cancel = await api(a, 'POST', `/v1/runs/${runA}/cancel`);
    expect(cancel.status).toBe(409);
    expect(((cancel.body.error as { message: string }).message)).toMatch(/already ended/);
    expect((await api(a, 'GET', '/v1/runs?cursor=garbage')).status).toBe(422);
    expect((await api(a, 'GET', '/v1/runs?recipe=a%00b')).status).toBe(422);
    expect((await api(a, 'POST', `/v1/runs/${runA}/resume`, JSON.stringify({ with: { 'stages.base.lr': '\u0000' } }), 'application/json')).status).toBe(422);
    expect((await api(a, 'GET', `/v1/runs/${runA}/metrics`)).status).toBe(200);
    expect((await api(a, 'POST', '/v1/recipes/validate', recipe('home-a', 'm'))).status).toBe(200);
    expect((await fetch(`${a.apiUrl}/readyz`)).status).toBe(200);
  });

  it('keeps each home private and its token 0600, and the CLI finds its home\'s API from BRAISE_PORT', async () => {
    for (const h of [a, b]) {
      expect((await stat(h.home)).mode & 0o777).toBe(0o700);
      expect((await stat(join(h.home, 'token'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(h.home, 'temporal.db'))).mode & 0o077).toBe(0);
    }
    // `braise up` holds the embedded lineage database: only going through the API at BRAISE_PORT can answer.
    const runs = (await api(b, 'GET', '/v1/runs')).body.runs as Array<{ runId: string }>;
    const st = await braise(['status', runs[0]!.runId, '--json'], b.env);
    expect(st.code, st.stderr).toBe(0);
    expect((JSON.parse(st.stdout) as { status: string }).status).toBe('completed');
  });

  it("`braise down` stops its own home's dev server only", async () => {
    await stop(b);
    const down = await braise(['down'], b.env);
    expect(down.code, down.stderr).toBe(0);
    expect(await portOpen(b.temporalPort)).toBe(false);
    expect(await portOpen(a.temporalPort)).toBe(true);
    expect((await fetch(`${a.apiUrl}/readyz`)).status).toBe(200);
  });
});
