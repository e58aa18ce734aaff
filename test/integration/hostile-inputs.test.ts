/**
 * One bad input must not take the platform down. A real `braise up` process (API and every worker in
 * one process, as a user runs it) with a data root receives, over real HTTP: `file:` sources that
 * escape the root (paths and symlinks into /etc/passwd and /proc/self/environ), a decompression bomb
 * inside the root, a file turned into such a symlink after its run started, and the largest model the
 * schema allows. Each is refused or fails its own run with the reason named and no file content
 * quoted; afterwards the same process still runs a recipe to completion.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBraiseUp, type BraiseUp } from '../support/braise-cli.ts';
import { testHome, type TestHome } from './harness.ts';

const MiB = 1024 * 1024;

interface RunBody {
  runId: string;
  status: string;
  error: string | null;
  stages: Array<{ id: string; status: string; error: string | null }>;
}

function recipe(name: string, source: string, opts: { model?: string; batchSize?: number } = {}): string {
  return `apiVersion: braise/v1
name: ${name}
seed: 3
model: ${opts.model ?? '{ layers: 1, dModel: 32, heads: 2, context: 32 }'}
datasets:
  d: { source: "${source}" }
stages:
  - id: clean
    kind: filter
    inputs: [d]
    with: { rules: [gopher-repetition] }
  - id: base
    kind: pretrain
    inputs: [clean]
    with: { steps: 10, batchSize: ${opts.batchSize ?? 4}, lr: 1e-2, checkpointEvery: 5, holdout: 0.2 }
  - id: eval
    kind: evaluate
    inputs: [base]
    with: { maxDocsPerDomain: 2 }
`;
}

describe('hostile inputs against one braise up', () => {
  let home: TestHome;
  let root: string;
  let up: BraiseUp;
  let url: string;
  let token: string;

  const api = async (method: string, path: string, body?: string, type = 'application/yaml') => {
    const res = await fetch(`${url}${path}`, {
      method,
      body,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': type } : {}) },
    });
    const text = await res.text();
    return { status: res.status, text, json: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };
  const waitFor = async (runId: string, pred: (r: RunBody) => boolean, timeoutMs = 240_000): Promise<RunBody> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = (await api('GET', `/v1/runs/${runId}`)).json as unknown as RunBody;
      if (pred(r)) return r;
      if (Date.now() > deadline) throw new Error(`run ${runId} still ${r.status}: ${JSON.stringify(r.stages.map((s) => [s.id, s.status]))}`);
      await new Promise((res) => setTimeout(res, 300));
    }
  };
  const alive = () => up.alive();

  beforeAll(async () => {
    home = await testHome('pglite');
    root = join(home.home, 'data');
    await mkdir(root);
    // 4 MiB of gzip expanding to 2 GiB: 1 MiB lines, each a one-word document padded with JSON whitespace.
    const line = `{"text":"boom"${' '.repeat(MiB - 17)}}\n`;
    const member = gzipSync(Buffer.from(line.repeat(16)), { level: 9 });
    await writeFile(join(root, 'bomb.jsonl.gz'), Buffer.concat(Array.from({ length: 128 }, () => member)));
    await symlink('/etc/passwd', join(root, 'passwd.jsonl'));
    await symlink('/proc/self/environ', join(root, 'environ.jsonl'));
    await writeFile(join(home.home, 'outside.jsonl'), '{"text":"not for you"}\n');

    up = await startBraiseUp({ ...home.env, BRAISE_DATA_ROOTS: root });
    ({ url, token } = up);
  });

  afterAll(async () => {
    await up?.stop();
    await home?.cleanup();
  });

  it('refuses file: sources outside the data root (paths and symlinks) with 422 naming them, quoting nothing', async () => {
    const cases = ['/etc/passwd', '/proc/self/environ', `${root}/passwd.jsonl`, `${root}/environ.jsonl`, `${root}/../outside.jsonl`];
    for (const source of cases) {
      for (const path of ['/v1/runs', '/v1/recipes/validate']) {
        const res = await api('POST', path, recipe('escape', `file:${source}`));
        expect(res.status, `${path} ${source}: ${res.text}`).toBe(422);
        const details = (res.json.error as { details: Array<{ path: string; message: string }> }).details;
        expect(details.map((d) => d.path), source).toContain('datasets.d.source');
        expect(res.text).not.toMatch(/root:x:0|PATH=|BRAISE_HOME=|not for you/);
      }
      if (source.endsWith('.jsonl')) {
        const res = await api('POST', '/v1/runs', recipe('escape', `file:${source}`));
        expect(res.text).toContain('outside the allowed data roots');
        expect(res.text).toContain(root);
      }
    }
    // Nothing started.
    expect(((await api('GET', '/v1/runs?recipe=escape')).json.runs as unknown[]).length).toBe(0);
  });

  it('fails a decompression bomb run with the limit named, the API answering all along', async () => {
    const started = await api('POST', '/v1/runs', JSON.stringify({ recipe: recipe('bomb', `file:${root}/bomb.jsonl.gz`), onFailure: 'fail' }), 'application/json');
    expect(started.status, started.text).toBe(201);
    const runId = started.json.runId as string;
    let slowest = 0;
    let run: RunBody;
    for (;;) {
      const t0 = Date.now();
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      slowest = Math.max(slowest, Date.now() - t0);
      run = (await api('GET', `/v1/runs/${runId}`)).json as unknown as RunBody;
      if (run.status !== 'running') break;
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(run.status).toBe('failed');
    const ingest = run.stages.find((s) => s.id === 'd')!;
    expect(ingest.status).toBe('failed');
    expect(ingest.error).toMatch(/bomb\.jsonl\.gz: more than 1 GiB of data after decompression \(BRAISE_INGEST_MAX_BYTES\)/);
    expect(slowest).toBeLessThan(2000);
    expect(alive()).toBe(true);
  });

  it('re-checks at open time: a missing file that turned into a symlink to /etc/passwd is refused by the worker', async () => {
    const late = join(root, 'late.jsonl');
    const started = await api('POST', '/v1/runs', recipe('late', `file:${late}`));
    expect(started.status, started.text).toBe(201);
    const runId = started.json.runId as string;
    const paused = await waitFor(runId, (r) => r.status !== 'running');
    expect(paused.status).toBe('paused');
    expect(paused.stages.find((s) => s.id === 'd')!.error).toContain('file not found');

    await symlink('/etc/passwd', late);
    // Resume reads the run's recorded status, which can trail the live view by a moment.
    for (let i = 0; i < 50 && !((await api('GET', '/v1/runs?recipe=late&status=paused')).json.runs as unknown[]).length; i++) {
      await new Promise((res) => setTimeout(res, 200));
    }
    expect((await api('POST', `/v1/runs/${runId}/resume`)).status).toBe(202);
    const again = await waitFor(runId, (r) => r.status === 'paused' && (r.stages.find((s) => s.id === 'd')!.error ?? '').includes('outside'));
    const error = again.stages.find((s) => s.id === 'd')!.error!;
    expect(error).toBe(`${late} is outside the allowed data roots (through a symbolic link): ${root} (BRAISE_DATA_ROOTS)`);
    expect(JSON.stringify(again)).not.toContain('root:x:0');
    expect((await api('POST', `/v1/runs/${runId}/cancel`)).status).toBe(202);
    await waitFor(runId, (r) => r.status === 'cancelled', 60_000);
  });

  it('refuses the largest model the schema allows, and survives it', async () => {
    const res = await api('POST', '/v1/runs', JSON.stringify({ recipe: recipe('huge', 'builtin:brown', { model: '{ layers: 48, dModel: 4096, heads: 32, context: 4096 }', batchSize: 4096 }), onFailure: 'fail' }), 'application/json');
    expect(res.status, res.text).toBe(422);
    expect(res.text).toMatch(/memory/i);
    expect(((await api('GET', '/v1/runs?recipe=huge')).json.runs as unknown[]).length).toBe(0);
    expect(alive()).toBe(true);
  });

  it('then runs a recipe to completion on the same process', async () => {
    const started = await api('POST', '/v1/runs', recipe('after', 'builtin:brown').replace('source: "builtin:brown" }', 'source: "builtin:brown", genres: [m, r] }'));
    expect(started.status, started.text).toBe(201);
    const done = await waitFor(started.json.runId as string, (r) => r.status !== 'running');
    expect(done.status, JSON.stringify(done)).toBe('completed');
    expect(done.stages.map((s) => s.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(alive()).toBe(true);
  });
});
