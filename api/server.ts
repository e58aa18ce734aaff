/** Serving the API over HTTP with `@hono/node-server`. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { ApiEnv } from './context.ts';

export interface ServingApi {
  /** Where it listens, e.g. `http://127.0.0.1:8080` (the real port when 0 was asked for). */
  url: string;
  /** Stops accepting connections, lets requests in flight finish for up to `graceMs`, then closes every connection. */
  close(): Promise<void>;
}

export interface ServeOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** How long `close` waits for requests in flight (default 5 s). */
  graceMs?: number;
}

/** Listens on `host:port`; resolves once listening, rejects if it cannot (e.g. the port is taken). */
export function serveApi(app: Hono<ApiEnv>, options: ServeOptions): Promise<ServingApi> {
  const graceMs = options.graceMs ?? 5000;
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }) as Server;
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({ url: `http://${host}:${port}`, close: () => closeServer(server, graceMs) });
    });
  });
}

function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.once('close', () => clearTimeout(timer));
  });
}
