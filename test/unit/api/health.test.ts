import { describe, expect, it } from 'vitest';
import { errorOf, setup } from './fakes.ts';

describe('probes', () => {
  it('/healthz answers 200 { status: ok }', async () => {
    const { call } = setup();
    const res = await call('/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 when Temporal and the database are reachable', async () => {
    const { call } = setup();
    const res = await call('/readyz', { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', temporal: true, database: true });
  });

  it('/readyz answers 503 naming each unreachable dependency', async () => {
    const { call, service } = setup();
    service.ready = { temporal: false, database: true };
    const temporal = await errorOf(await call('/readyz', { token: null }));
    expect(temporal.message).toContain('temporal');
    expect(temporal.message).not.toContain('database');
    expect(temporal.details).toEqual([{ path: 'temporal', message: 'unreachable' }]);

    service.ready = { temporal: true, database: false };
    const res = await call('/readyz', { token: null });
    expect(res.status).toBe(503);
    const database = await errorOf(res);
    expect(database.code).toBe('unavailable');
    expect(database.details.map((d) => d.path)).toEqual(['database']);

    service.ready = { temporal: false, database: false };
    expect((await errorOf(await call('/readyz', { token: null }))).details.map((d) => d.path)).toEqual(['temporal', 'database']);
  });

  it('/readyz reports an S3 artifact bucket too, where there is one: 503 naming it when unreachable', async () => {
    const { call, service } = setup();
    service.ready = { temporal: true, database: true, artifacts: true };
    expect(await (await call('/readyz', { token: null })).json()).toEqual({ status: 'ready', temporal: true, database: true, artifacts: true });
    service.ready = { temporal: true, database: true, artifacts: false };
    const res = await call('/readyz', { token: null });
    expect(res.status).toBe(503);
    const err = await errorOf(res);
    expect(err.message).toBe('not ready: artifacts unreachable');
    expect(err.details).toEqual([{ path: 'artifacts', message: 'unreachable' }]);
  });

  it('/readyz answers 503 when the check itself fails, without its message', async () => {
    const { call, service, logger } = setup();
    service.failWith = new Error('socket hang up at 10.1.2.3');
    const res = await call('/readyz', { token: null });
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain('10.1.2.3');
    expect(logger.errors).toHaveLength(1);
  });
});
