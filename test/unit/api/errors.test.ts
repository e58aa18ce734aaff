import { describe, expect, it } from 'vitest';
import { errorOf, RECIPE_YAML, setup, TOKEN } from './fakes.ts';

const MiB = 1024 * 1024;

/** A body of `bytes` bytes sent as a stream, so the request has no Content-Length. */
function chunked(bytes: number, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const n = Math.min(chunk, bytes - sent);
      controller.enqueue(new Uint8Array(n).fill(0x61));
      sent += n;
    },
  });
}

describe('authentication', () => {
  it('answers 401 without an Authorization header', async () => {
    const { call, service } = setup();
    service.addRun({ runId: 'r1', recipe: 'tiny', status: 'running' });
    const res = await call('/v1/runs/r1', { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    const err = await errorOf(res);
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/Authorization/);
  });

  it('answers 401 for a wrong token and for a scheme other than Bearer', async () => {
    const { call, tokens } = setup();
    const wrong = await call('/v1/runs', { token: 'brs_nope' });
    expect(wrong.status).toBe(401);
    expect((await errorOf(wrong)).code).toBe('unauthorized');
    expect(tokens.seen).toEqual(['brs_nope']);

    const basic = await call('/v1/runs', { token: null, headers: { authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
    expect((await errorOf(basic)).message).toMatch(/Bearer/);
  });

  it('checks the token before reading the body or the route', async () => {
    const { call } = setup();
    const res = await call('/v1/no-such-thing', { token: null });
    expect(res.status).toBe(401);
  });

  it('lets the probes and the OpenAPI document through without a token', async () => {
    const { call } = setup();
    for (const path of ['/healthz', '/readyz', '/v1/openapi.json']) {
      expect((await call(path, { token: null })).status, path).toBe(200);
    }
  });
});

describe('not found', () => {
  it('answers 404 not_found for an unknown route, in the common shape', async () => {
    const { call } = setup();
    for (const path of ['/nope', '/v1/nope', '/v1/runs/r1/nope']) {
      const res = await call(path);
      expect(res.status, path).toBe(404);
      const err = await errorOf(res);
      expect(err.code).toBe('not_found');
      expect(err.message).toContain(path);
    }
  });

  it('answers 404 for a run the service does not know, with its message', async () => {
    const { call } = setup();
    const res = await call('/v1/runs/run-missing');
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({ code: 'not_found', message: 'run "run-missing" not found', details: [] });
  });
});

describe('body limits and content types', () => {
  it('answers 413 for a 2 MiB body with Content-Length, before the service sees it', async () => {
    const { call, service } = setup();
    const body = 'a'.repeat(2 * MiB);
    const res = await call('/v1/runs', { method: 'POST', headers: { 'content-type': 'application/yaml', 'content-length': String(body.length) }, body });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('payload_too_large');
    expect(service.startRequests).toHaveLength(0);
  });

  it('answers 413 for a 2 MiB chunked body without Content-Length', async () => {
    const { call, service } = setup();
    const init = { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: chunked(2 * MiB), duplex: 'half' } as RequestInit;
    const res = await call('/v1/recipes/validate', init);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('payload_too_large');
    expect(service.startRequests).toHaveLength(0);
  });

  it('accepts a chunked body under the limit', async () => {
    const { call } = setup();
    const bytes = new TextEncoder().encode(RECIPE_YAML);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 40));
        controller.enqueue(bytes.slice(40));
        controller.close();
      },
    });
    const res = await call('/v1/recipes/validate', { method: 'POST', headers: { 'content-type': 'text/yaml' }, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(200);
  });

  it('answers 415 for an unsupported or missing Content-Type', async () => {
    const { call, service } = setup();
    for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/xml' }, {}] as Array<Record<string, string>>) {
      const res = await call('/v1/runs', { method: 'POST', headers, body: RECIPE_YAML });
      expect(res.status, JSON.stringify(headers)).toBe(415);
      const err = await errorOf(res);
      expect(err.code).toBe('unsupported_media_type');
      expect(err.message).toContain('application/yaml');
    }
    expect(service.startRequests).toHaveLength(0);
  });

  it('answers 400 in the common shape for malformed JSON', async () => {
    const { call } = setup();
    const res = await call('/v1/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"recipe": ' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('bad_request');
  });
});

describe('internal errors', () => {
  it('answers 500 with a generic message and logs the real one', async () => {
    const { call, service, logger } = setup();
    const secret = new Error('connect ECONNREFUSED postgres://braise:hunter2@10.0.0.7/braise');
    service.failWith = secret;
    const res = await call('/v1/runs/r1', { headers: { 'x-request-id': 'req-42' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('ECONNREFUSED');
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    const err = JSON.parse(text) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('internal');
    expect(err.error.message).toContain('req-42');
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]!.obj).toMatchObject({ err: secret, requestId: 'req-42' });
  });
});

describe('request ids', () => {
  it('returns X-Request-Id on every response, echoing a safe one the client sent', async () => {
    const { call } = setup();
    const generated = await call('/healthz');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await call('/v1/nope', { headers: { 'x-request-id': 'client-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('client-123');
    const unauthorized = await call('/v1/runs', { token: null });
    expect(unauthorized.headers.get('x-request-id')).toBeTruthy();
  });
});
