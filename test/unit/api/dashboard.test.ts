import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../api/app.ts';
import { buildDashboard, ensureDashboard } from '../../../infra/dashboard-build.ts';
import { FakeLogger, FakeRunService, FakeTokens, TOKEN } from './fakes.ts';

describe('the dashboard as the API serves it', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'braise-dash-'));
    await buildDashboard(join(dir, 'out'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const app = () => createApp({ service: new FakeRunService(), tokens: new FakeTokens(), logger: new FakeLogger(), dashboardDir: join(dir, 'out') });

  it('serves the page and its bundled assets without a token, with a same-origin CSP; /v1 still needs one', async () => {
    const a = app();
    const page = await a.request('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('/assets/app.js');
    expect(html).not.toMatch(/https?:\/\//);
    const js = await a.request('/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await js.text()).length).toBeGreaterThan(10_000);
    expect((await a.request('/assets/app.css')).status).toBe(200);
    expect((await a.request('/v1/runs')).status).toBe(401);
    expect((await a.request('/v1/runs', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('serves nothing outside its folder', async () => {
    const a = app();
    for (const path of ['/assets/../../etc/passwd', '/assets/%2e%2e/%2e%2e/etc/passwd', '/assets/missing.js', '/assets/..%2f..%2fmanifest.json', '/index.html']) {
      const res = await a.request(path);
      expect(res.status, path).toBe(404);
    }
  });

  it('without a dashboard folder, / is a 404 in the API error shape', async () => {
    const a = createApp({ service: new FakeRunService(), tokens: new FakeTokens(), logger: new FakeLogger() });
    const res = await a.request('/');
    expect(res.status).toBe(404);
  });

  it('builds once into the cache and reuses the build while the sources are unchanged', async () => {
    const cache = join(dir, 'cache');
    const first = await ensureDashboard(cache);
    expect(first.source).toBe('built');
    const second = await ensureDashboard(cache);
    expect(second).toEqual({ dir: first.dir, source: 'cache' });
  });
});
