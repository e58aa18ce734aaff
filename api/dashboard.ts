/**
 * The web dashboard's static files, served at `/` (`index.html`) and `/assets/*`. They are public, as a
 * login page must be; everything they show comes from `/v1`, behind the same bearer tokens (the page
 * keeps the token in localStorage and sends it as `Authorization: Bearer`, never in a URL).
 */
import { serveStatic } from '@hono/node-server/serve-static';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from './context.ts';

/**
 * Only this origin's scripts and data: the bundle is built locally and needs no CDN. Inline styles are
 * allowed because uPlot sizes its canvas and legend with style attributes.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

const headers: MiddlewareHandler<ApiEnv> = async (c, next) => {
  await next();
  c.header('content-security-policy', CSP);
  c.header('x-content-type-options', 'nosniff');
  c.header('cache-control', 'no-cache');
};

/** Serves the built dashboard in `dir` (infra/dashboard-build.ts) on `app`. */
export function registerDashboard(app: OpenAPIHono<ApiEnv>, dir: string): void {
  app.get('/', headers, serveStatic({ root: dir, path: 'index.html' }));
  app.get('/assets/*', headers, serveStatic({ root: dir }));
}
