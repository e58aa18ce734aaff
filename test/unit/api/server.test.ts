import { afterEach, describe, expect, it } from 'vitest';
import { serveApi, type ServingApi } from '../../../api/server.ts';
import { errorOf, setup, TOKEN } from './fakes.ts';

const MiB = 1024 * 1024;
let serving: ServingApi | null = null;

afterEach(async () => {
  await serving?.close();
  serving = null;
});

describe('serveApi', () => {
  it('listens on a free port and serves the app', async () => {
    serving = await serveApi(setup().app, { host: '127.0.0.1', port: 0 });
    expect(serving.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${serving.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers 413 to a 2 MiB chunked upload (Transfer-Encoding: chunked, no Content-Length)', async () => {
    const { app, service } = setup();
    serving = await serveApi(app, { host: '127.0.0.1', port: 0 });
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 2 * MiB) return controller.close();
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x61));
        sent += 64 * 1024;
      },
    });
    const res = await fetch(`${serving.url}/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('payload_too_large');
    expect(service.startRequests).toHaveLength(0);
  });

  it('answers 413 with connection: close, and a keep-alive client (fetch/undici) goes on without a dropped socket', async () => {
    const { app, service } = setup();
    serving = await serveApi(app, { host: '127.0.0.1', port: 0 });
    const big = 'a'.repeat(8 * MiB);
    const chunked = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 32; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(0x61));
          controller.close();
        },
      });
    // Each oversized body is followed at once by another request on the same agent (the one that used to fail with UND_ERR_SOCKET).
    for (const body of [big, chunked(), big, chunked()]) {
      const res = await fetch(`${serving!.url}/v1/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(res.headers.get('connection')).toBe('close');
      expect((await errorOf(res)).code).toBe('payload_too_large');
      const next = await fetch(`${serving!.url}/v1/runs`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(next.status).toBe(200);
      await next.body?.cancel();
    }
    expect(service.startRequests).toHaveLength(0);
  });

  it('rejects when the port is taken, and close() stops listening', async () => {
    serving = await serveApi(setup().app, { host: '127.0.0.1', port: 0 });
    const port = Number(new URL(serving.url).port);
    await expect(serveApi(setup().app, { host: '127.0.0.1', port })).rejects.toThrow(/EADDRINUSE/);
    await serving.close();
    serving = null;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
