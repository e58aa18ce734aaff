import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { setup } from './fakes.ts';

type Operation = { security?: Array<Record<string, string[]>>; responses: Record<string, unknown> };
type Doc = {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
};

async function document() {
  const { app, call } = setup();
  const res = await call('/v1/openapi.json', { token: null });
  expect(res.status).toBe(200);
  return { app, doc: (await res.json()) as Doc };
}

/** The routes the app serves: `GET /v1/runs/{id}` etc. (middleware, registered for ALL methods, excluded). */
function served(app: { routes: Array<{ method: string; path: string }> }): string[] {
  const routes = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
  return [...new Set(routes)].sort();
}

describe('/v1/openapi.json', () => {
  it('is a valid OpenAPI document', async () => {
    const { doc } = await document();
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.version).toBe('1.2.3');
  });

  it('lists every route the app serves', async () => {
    const { app, doc } = await document();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const routes = served(app);
    expect(routes).toEqual(
      [
        'GET /healthz',
        'GET /readyz',
        'GET /v1/openapi.json',
        'POST /v1/recipes/validate',
        'POST /v1/runs',
        'GET /v1/runs',
        'GET /v1/runs/{id}',
        'GET /v1/runs/{id}/metrics',
        'GET /v1/runs/{id}/logs',
        'GET /v1/runs/{id}/report',
        'POST /v1/runs/{id}/cancel',
        'POST /v1/runs/{id}/resume',
        'PUT /v1/schedules/{name}',
        'POST /v1/schedules',
        'GET /v1/schedules',
        'GET /v1/schedules/{name}',
        'POST /v1/schedules/{name}/pause',
        'POST /v1/schedules/{name}/unpause',
        'POST /v1/schedules/{name}/trigger',
        'DELETE /v1/schedules/{name}',
        'GET /v1/artifacts/{id}',
        'GET /v1/artifacts/{id}/lineage',
        'GET /v1/artifacts/{id}/documents/{docId}/training',
      ].sort(),
    );
    expect(documented.sort()).toEqual(routes);
  });

  it('declares the bearer scheme and requires it on every /v1 route but the document itself', async () => {
    const { doc } = await document();
    const schemes = Object.entries(doc.components.securitySchemes);
    expect(schemes).toHaveLength(1);
    const [name, scheme] = schemes[0]!;
    expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const secured = (op.security ?? []).some((s) => name in s);
        const shouldBe = path.startsWith('/v1/') && path !== '/v1/openapi.json';
        expect(secured, `${method} ${path}`).toBe(shouldBe);
        if (shouldBe) expect(Object.keys(op.responses), `${method} ${path}`).toContain('401');
      }
    }
  });
});
