/**
 * A generated client's view of the API: every route is called (successes and
 * the errors it can answer) and each response's status and body are checked
 * against /v1/openapi.json with ajv. An undocumented status or a body outside
 * its schema fails here.
 */
import { describe, expect, it } from 'vitest';
import { contract, type OpenApiDoc } from '../../support/openapi-contract.ts';
import { buildSweepReport } from '../../../recipe/sweep-report.ts';
import { artifact, RECIPE_JSON, RECIPE_YAML, setup, TOKEN } from './fakes.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('responses match the OpenAPI document', () => {
  it('for every operation, its successes and its errors', async () => {
    const { call, service } = setup();
    const doc = (await (await call('/v1/openapi.json', { token: null })).json()) as OpenApiDoc;
    const c = contract(doc);
    service.artifacts.set(A, artifact(A));
    service.artifacts.set(B, artifact(B, 'model'));

    const send = async (method: string, path: string, init: { body?: unknown; yaml?: string; token?: string | null; headers?: Record<string, string> } = {}) => {
      const headers: Record<string, string> = {};
      let body: string | undefined;
      if (init.yaml !== undefined) {
        headers['content-type'] = 'application/yaml';
        body = init.yaml;
      } else if (init.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      }
      Object.assign(headers, init.headers);
      const res = await call(path, { method, headers, body, token: init.token === undefined ? TOKEN : init.token });
      const text = await res.text();
      const json: unknown = text ? JSON.parse(text) : null;
      c.check(method, path, res.status, json);
      return { status: res.status, json };
    };

    const statuses: Array<[string, number]> = [];
    const expectStatus = async (label: string, want: number, p: Promise<{ status: number }>) => {
      const { status } = await p;
      statuses.push([label, status]);
      expect(status, label).toBe(want);
    };

    await expectStatus('health', 200, send('GET', '/healthz'));
    await expectStatus('ready', 200, send('GET', '/readyz'));
    service.ready = { temporal: false, database: true };
    await expectStatus('not ready', 503, send('GET', '/readyz'));
    await expectStatus('openapi', 200, send('GET', '/v1/openapi.json', { token: null }));

    await expectStatus('validate', 200, send('POST', '/v1/recipes/validate', { yaml: RECIPE_YAML }));
    await expectStatus('validate bad', 422, send('POST', '/v1/recipes/validate', { body: { apiVersion: 'braise/v1' } }));
    await expectStatus('validate no token', 401, send('POST', '/v1/recipes/validate', { yaml: RECIPE_YAML, token: null }));
    await expectStatus('validate 415', 415, send('POST', '/v1/recipes/validate', { body: '{}', headers: { 'content-type': 'text/plain' } }));

    await expectStatus('start', 201, send('POST', '/v1/runs', { body: RECIPE_JSON, headers: { 'idempotency-key': 'k' } }));
    await expectStatus('start again', 200, send('POST', '/v1/runs', { body: RECIPE_JSON, headers: { 'idempotency-key': 'k' } }));
    await expectStatus('start conflict', 409, send('POST', '/v1/runs', { body: { ...RECIPE_JSON, seed: 9 }, headers: { 'idempotency-key': 'k' } }));
    await expectStatus('start malformed', 400, send('POST', '/v1/runs', { body: '{"apiVersion":' }));
    await expectStatus('start too large', 413, send('POST', '/v1/runs', { yaml: 'x'.repeat(1024 * 1024 + 1) }));

    service.addRun({ runId: 'r2', recipe: 'tiny', status: 'completed' });
    service.addRun({ runId: 'r3', recipe: 'tiny', status: 'paused' });
    await expectStatus('list', 200, send('GET', '/v1/runs?limit=1'));
    await expectStatus('list bad limit', 422, send('GET', '/v1/runs?limit=0'));
    await expectStatus('list bad cursor', 422, send('GET', '/v1/runs?cursor=garbage'));
    await expectStatus('get', 200, send('GET', '/v1/runs/run-1'));
    await expectStatus('get unknown', 404, send('GET', '/v1/runs/nope'));
    await expectStatus('metrics', 200, send('GET', '/v1/runs/run-1/metrics?name=loss'));
    await expectStatus('metrics unknown', 404, send('GET', '/v1/runs/nope/metrics'));
    await expectStatus('logs', 200, send('GET', '/v1/runs/run-1/logs?stage=base&limit=10'));
    await expectStatus('logs unknown', 404, send('GET', '/v1/runs/nope/logs'));
    await expectStatus('logs bad cursor', 422, send('GET', '/v1/runs/run-1/logs?after=nope'));
    service.reports.set('r2', {
      runId: 'r2',
      artifactId: A,
      report: buildSweepReport(
        { runId: 'r2', recipe: 'tiny', schedule: null },
        { paths: ['seed'], compare: { metric: 'eval/perplexity/mean/bits_per_byte', goal: 'minimize' }, regressionThreshold: 0.02 },
        [{ index: 1, values: { seed: 1 }, runId: 'r2-c1', status: 'completed', error: null, stages: [{ id: 'eval', kind: 'evaluate', metrics: { 'perplexity/mean/bits_per_byte': 2.5 } }] }],
        null,
      ),
    });
    await expectStatus('report', 200, send('GET', '/v1/runs/r2/report'));
    await expectStatus('report running', 409, send('GET', '/v1/runs/run-1/report'));
    await expectStatus('report none', 404, send('GET', '/v1/runs/r3/report'));
    await expectStatus('cancel', 202, send('POST', '/v1/runs/run-1/cancel'));
    await expectStatus('cancel ended', 409, send('POST', '/v1/runs/r2/cancel'));
    await expectStatus('cancel unknown', 404, send('POST', '/v1/runs/nope/cancel'));
    await expectStatus('resume', 202, send('POST', '/v1/runs/r3/resume', { body: { with: { 'stages.base.lr': 0.002 } } }));
    await expectStatus('resume running', 409, send('POST', '/v1/runs/r3/resume'));
    await expectStatus('resume NUL', 422, send('POST', '/v1/runs/r3/resume', { body: { with: { 'stages.base.lr': '\u0000' } } }));

    const schedule = { recipe: RECIPE_YAML, cron: '0 2 * * *', timezone: 'Europe/Paris' };
    await expectStatus('schedule put', 201, send('PUT', '/v1/schedules/nightly', { body: schedule }));
    await expectStatus('schedule put again', 200, send('PUT', '/v1/schedules/nightly', { body: { ...schedule, catchupWindow: '6h' } }));
    await expectStatus('schedule put bad cron', 422, send('PUT', '/v1/schedules/nightly', { body: { ...schedule, cron: '61 2 * * *' } }));
    await expectStatus('schedule put bad body', 422, send('PUT', '/v1/schedules/nightly', { body: { ...schedule, bogus: 1 } }));
    await expectStatus('schedule put malformed', 400, send('PUT', '/v1/schedules/nightly', { body: '{"recipe":' }));
    await expectStatus('schedule put 415', 415, send('PUT', '/v1/schedules/nightly', { body: '{}', headers: { 'content-type': 'text/plain' } }));
    await expectStatus('schedule put too large', 413, send('PUT', '/v1/schedules/nightly', { body: { ...schedule, recipe: 'x'.repeat(1024 * 1024 + 1) } }));
    await expectStatus('schedule put no token', 401, send('PUT', '/v1/schedules/nightly', { body: schedule, token: null }));
    await expectStatus('schedule create', 201, send('POST', '/v1/schedules', { body: { recipe: RECIPE_JSON, every: '1h' } }));
    await expectStatus('schedule create again', 200, send('POST', '/v1/schedules', { body: { recipe: RECIPE_JSON, every: '2h' } }));
    await expectStatus('schedule create bad tz', 422, send('POST', '/v1/schedules', { body: { ...schedule, timezone: 'Mars/Olympus' } }));
    await expectStatus('schedule create malformed', 400, send('POST', '/v1/schedules', { body: '{' }));
    await expectStatus('schedule create 415', 415, send('POST', '/v1/schedules', { body: '{}', headers: { 'content-type': 'text/plain' } }));
    await expectStatus('schedule create too large', 413, send('POST', '/v1/schedules', { yaml: 'x'.repeat(1024 * 1024 + 1) }));
    await expectStatus('schedule create no token', 401, send('POST', '/v1/schedules', { body: schedule, token: null }));
    await expectStatus('schedules', 200, send('GET', '/v1/schedules'));
    await expectStatus('schedules no token', 401, send('GET', '/v1/schedules', { token: null }));
    await expectStatus('schedule', 200, send('GET', '/v1/schedules/nightly'));
    await expectStatus('schedule unknown', 404, send('GET', '/v1/schedules/nope'));
    await expectStatus('schedule NUL', 422, send('GET', '/v1/schedules/a%00'));
    await expectStatus('schedule pause', 200, send('POST', '/v1/schedules/nightly/pause', { body: { note: 'flaky data' } }));
    await expectStatus('schedule pause unknown', 404, send('POST', '/v1/schedules/nope/pause'));
    await expectStatus('schedule pause bad note', 422, send('POST', '/v1/schedules/nightly/pause', { body: { note: 3 } }));
    await expectStatus('schedule pause malformed', 400, send('POST', '/v1/schedules/nightly/pause', { body: '{' }));
    await expectStatus('schedule pause 415', 415, send('POST', '/v1/schedules/nightly/pause', { body: '{}', headers: { 'content-type': 'text/plain' } }));
    await expectStatus('schedule unpause', 200, send('POST', '/v1/schedules/nightly/unpause'));
    await expectStatus('schedule unpause unknown', 404, send('POST', '/v1/schedules/nope/unpause'));
    await expectStatus('schedule trigger', 202, send('POST', '/v1/schedules/nightly/trigger'));
    await expectStatus('schedule trigger unknown', 404, send('POST', '/v1/schedules/nope/trigger'));
    await expectStatus('list by schedule', 200, send('GET', '/v1/runs?schedule=nightly'));
    await expectStatus('schedule delete', 200, send('DELETE', '/v1/schedules/nightly'));
    await expectStatus('schedule delete unknown', 404, send('DELETE', '/v1/schedules/nightly'));

    await expectStatus('artifact', 200, send('GET', `/v1/artifacts/${A}`));
    await expectStatus('artifact unknown', 404, send('GET', '/v1/artifacts/nope'));
    await expectStatus('lineage up', 200, send('GET', `/v1/artifacts/${B}/lineage`));
    await expectStatus('lineage down', 200, send('GET', `/v1/artifacts/${A}/lineage?direction=down`));
    service.documents.set(A, new Map([['doc-1', [{ runId: 'run-1', stageId: 'base', datasetArtifactId: A, fromStep: 0, checkpointStep: 10, tokenRanges: [[0, 42]], modelArtifactId: B }]]]));
    await expectStatus('document training', 200, send('GET', `/v1/artifacts/${A}/documents/doc-1/training`));
    await expectStatus('document training unknown', 404, send('GET', `/v1/artifacts/${A}/documents/nope/training`));
    await expectStatus('document training NUL', 422, send('GET', `/v1/artifacts/${A}/documents/doc%00/training`));
    await expectStatus('lineage bad direction', 422, send('GET', `/v1/artifacts/${A}/lineage?direction=sideways`));

    service.failWith = new Error('boom');
    await expectStatus('internal', 500, send('GET', '/v1/runs'));

    expect([...c.seen].sort()).toEqual([...c.operations].sort());
    // The checker itself can fail: a stage status outside the enum, an undocumented status.
    const bad = { runId: 'r', workflowId: 'w', status: 'completed', temporalUiUrl: '', stages: [{ id: 'a', kind: 'pretrain', status: 'exploded', attempts: 1, durationMs: null, outputs: [], metrics: {} }] };
    expect(() => c.check('GET', '/v1/runs/r', 200, bad)).toThrow(/status/);
    expect(() => c.check('POST', '/v1/runs/r/cancel', 204, null)).toThrow(/does not list/);
  });
});

describe('the document describes what generated clients need', () => {
  it('gives every operation a unique operationId', async () => {
    const { call } = setup();
    const doc = (await (await call('/v1/openapi.json', { token: null })).json()) as OpenApiDoc;
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("states limit's bounds and the enums of a stage's status and kind", async () => {
    const { call } = setup();
    const doc = (await (await call('/v1/openapi.json', { token: null })).json()) as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string; schema: Record<string, unknown> }> }>>;
      components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; enum?: string[] }> };
    };
    const limit = doc.paths['/v1/runs']!.get!.parameters!.find((p) => p.name === 'limit')!;
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
    const stage = doc.components.schemas.StageView!.properties!;
    expect(stage.status).toEqual({ $ref: '#/components/schemas/StageStatus' });
    expect(stage.kind).toEqual({ $ref: '#/components/schemas/StageKind' });
    expect(doc.components.schemas.StageStatus!.enum).toEqual(['pending', 'running', 'completed', 'cached', 'failed', 'skipped', 'paused']);
    expect(doc.components.schemas.StageKind!.enum).toEqual(expect.arrayContaining(['ingest', 'filter', 'pretrain', 'evaluate']));
    const cancel = (doc.paths['/v1/runs/{id}/cancel']!.post as unknown as { responses: Record<string, unknown> }).responses;
    expect(Object.keys(cancel)).toEqual(expect.arrayContaining(['202', '409']));
  });
});
