/**
 * Document provenance as a user asks it: a tiny recipe trains (12 steps, a checkpoint every 5, so
 * windows end at 5, 10 and 12), then `braise provenance` (through the running API) and
 * `GET /v1/artifacts/:id/documents/:docId/training` name the run, stage, checkpoint windows and
 * token ranges of a document that was trained on, and nothing for one held out or filtered out.
 * The expected windows are recomputed here from the trained-on data and the batch schedule.
 */
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import { serveApi, type ServingApi } from '../../api/server.ts';
import { readDatasetAll } from '../../datasets/dataset.ts';
import { TokenStore } from '../../infra/auth/tokens.ts';
import { trainingOrder } from '../../infra/db/schema.ts';
import { openRuntime, type BraiseRuntime } from '../../infra/runtime.ts';
import { createRunService } from '../../infra/service.ts';
import { batchAt, buildTokenStream } from '../../ml/data.ts';
import { byteTokenizer } from '../../ml/tokenizer.ts';
import { runBraise as braise } from '../support/braise-cli.ts';
import { testHome, type TestHome } from './harness.ts';
import { tinyRecipe } from './recipes.ts';

const SEED = 11; // tinyRecipe's seed
const BATCH = 8;
const CONTEXT = 32;
const CHECKPOINTS = [5, 10, 12];

interface Window { runId: string; stageId: string; datasetArtifactId: string; fromStep: number; checkpointStep: number; tokenRanges: Array<[number, number]>; modelArtifactId: string | null }
interface Answer { artifactId: string; docId: string; training: Window[] }

describe('document provenance', () => {
  let home: TestHome;
  let rt: BraiseRuntime;
  let server: ServingApi;
  let token: string;
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
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

  it('names the checkpoint windows and token ranges that read a trained document; nothing for held-out or filtered ones', async () => {
    const started = await api('/v1/runs', { method: 'POST', body: tinyRecipe({ name: 'prov', steps: 12, checkpointEvery: 5 }), headers: { 'content-type': 'application/yaml' } });
    expect(started.status).toBe(201);
    const runId = started.body.runId as string;
    let run: { status: string; stages: Array<{ id: string; outputs: Array<{ port: string; artifactId: string }> }> };
    for (const deadline = Date.now() + 180_000; ; ) {
      run = (await api(`/v1/runs/${runId}`)).body as typeof run;
      if (run.status !== 'running' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(run.status).toBe('completed');
    const out = (stage: string, port: string) => run.stages.find((s) => s.id === stage)!.outputs.find((o) => o.port === port)!.artifactId;
    const web = out('web', 'data');
    const noise = out('noise', 'data');
    const kept = out('clean', 'kept');
    const model = out('base', 'model');

    // What the trainer read, recomputed: the train split's token stream and each step's windows.
    const trainedOn = ((await api(`/v1/artifacts/${model}`)).body.meta as { trainedOn: string }).trainedOn;
    const train = await readDatasetAll(rt.store, trainedOn);
    const stream = buildTokenStream(train.map((d, i) => ({ ...d, shard: 's', line: i + 1 })), byteTokenizer());
    const expected = new Map<string, Array<{ fromStep: number; checkpointStep: number; tokenRanges: Array<[number, number]> }>>();
    let from = 0;
    for (const ck of CHECKPOINTS) {
      const marks = new Map<string, Set<number>>();
      for (let step = from; step < ck; step++) {
        for (const [start, end] of batchAt(stream, SEED, step, BATCH, CONTEXT).windows) {
          for (const d of stream.docs) {
            for (let t = Math.max(start, d.start); t < Math.min(end, d.end); t++) {
              if (!marks.has(d.id)) marks.set(d.id, new Set());
              marks.get(d.id)!.add(t - d.start);
            }
          }
        }
      }
      for (const [id, tokens] of marks) {
        const sorted = [...tokens].sort((a, b) => a - b);
        const ranges: Array<[number, number]> = [];
        for (const t of sorted) {
          const last = ranges.at(-1);
          if (last && last[1] === t) last[1] = t + 1;
          else ranges.push([t, t + 1]);
        }
        expected.set(id, [...(expected.get(id) ?? []), { fromStep: from, checkpointStep: ck, tokenRanges: ranges }]);
      }
      from = ck;
    }
    // The document read in the most windows: it is certainly trained on.
    const docId = [...expected.entries()].sort((a, b) => b[1].length - a[1].length)[0]![0];
    expect(docId).toMatch(/^brown\//);

    // Over HTTP, naming the ingest output: found through the filter's kept output the trainer read.
    const http = await api(`/v1/artifacts/${web}/documents/${encodeURIComponent(docId)}/training`);
    expect(http.status).toBe(200);
    const answer = http.body as unknown as Answer;
    expect(answer.training.length).toBeGreaterThan(0);
    expect(answer.training).toEqual(
      expected.get(docId)!.map((w) => ({ runId, stageId: 'base', datasetArtifactId: kept, modelArtifactId: model, ...w })),
    );

    // Over the CLI, through the running API (PGlite is held by this process, so it must go through it).
    const env = { ...home.env, BRAISE_API_URL: server.url, BRAISE_TOKEN: token };
    const cli = await braise(['provenance', web, docId, '--json'], env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(answer);
    const human = await braise(['provenance', kept, docId], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`${runId}  base`);
    expect(human.stdout).toContain(`[${answer.training[0]!.tokenRanges[0]!.join(',')})`);

    // Each window once: exactly the rows the windows imply, for every document.
    const rows = [...expected.values()].flat().reduce((n, w) => n + w.tokenRanges.length, 0);
    const [recorded] = await rt.database.db.select({ n: count() }).from(trainingOrder).where(eq(trainingOrder.runId, runId));
    expect(recorded!.n).toBe(rows);

    // Held out by pretrain: in the kept data, never trained on.
    const heldout = await readDatasetAll(rt.store, out('base', 'heldout'));
    expect(heldout.length).toBeGreaterThan(0);
    const held = await api(`/v1/artifacts/${web}/documents/${encodeURIComponent(heldout[0]!.id)}/training`);
    expect(held).toEqual({ status: 200, body: { artifactId: web, docId: heldout[0]!.id, training: [] } });
    // Filtered out (too short): in the noise dataset, never trained on.
    const filtered = await braise(['provenance', noise, 'n1', '--json'], env);
    expect(filtered.code, filtered.stderr).toBe(0);
    expect(JSON.parse(filtered.stdout)).toEqual({ artifactId: noise, docId: 'n1', training: [] });

    // Unknown document and artifact: 404 in the shared shape; the CLI exits 4 naming it.
    const unknownDoc = await api(`/v1/artifacts/${web}/documents/no-such-doc/training`);
    expect(unknownDoc.status).toBe(404);
    expect(unknownDoc.body).toEqual({ error: { code: 'not_found', message: `dataset "${web}" has no document "no-such-doc"`, details: [] } });
    const unknownArtifact = await braise(['provenance', 'f'.repeat(64), docId], env);
    expect(unknownArtifact.code).toBe(4);
    expect(unknownArtifact.stderr).toContain(`no artifact "${'f'.repeat(64)}"`);

    // A cached rerun trains nothing: provenance still names only the run that trained.
    const again = await api('/v1/runs', { method: 'POST', body: tinyRecipe({ name: 'prov', steps: 12, checkpointEvery: 5 }), headers: { 'content-type': 'application/yaml' } });
    let rerun: { status: string; stages: Array<{ status: string }> };
    for (const deadline = Date.now() + 60_000; ; ) {
      rerun = (await api(`/v1/runs/${again.body.runId as string}`)).body as typeof rerun;
      if (rerun.status !== 'running' || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 300));
    }
    expect(rerun.status).toBe('completed');
    expect(rerun.stages.every((s) => s.status === 'cached')).toBe(true);
    const afterRerun = (await api(`/v1/artifacts/${web}/documents/${encodeURIComponent(docId)}/training`)).body as unknown as Answer;
    expect(afterRerun).toEqual(answer);
  });
});
