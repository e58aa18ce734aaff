import { describe, expect, it } from 'vitest';
import { artifact, errorOf, setup } from './fakes.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('/v1/artifacts', () => {
  it('GET /v1/artifacts/:id answers the artifact; 404 for an unknown one', async () => {
    const { call, service } = setup();
    service.artifacts.set(A, artifact(A));
    const res = await call(`/v1/artifacts/${A}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(artifact(A));
    const missing = await call(`/v1/artifacts/${B}`);
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).message).toContain(B);
  });

  it('GET /v1/artifacts/:id/lineage goes up by default and down when asked', async () => {
    const { call, service } = setup();
    service.artifacts.set(A, artifact(A, 'model'));
    service.artifacts.set(B, artifact(B));
    const up = (await (await call(`/v1/artifacts/${A}/lineage`)).json()) as { artifact: { id: string }; upstream: Array<{ artifact: { id: string }; depth: number }> };
    expect(up.artifact.id).toBe(A);
    expect(up.upstream.map((e) => [e.artifact.id, e.depth])).toEqual([[B, 1]]);
    const down = (await (await call(`/v1/artifacts/${B}/lineage?direction=down`)).json()) as Record<string, unknown>;
    expect(Object.keys(down).sort()).toEqual(['artifact', 'downstream']);
    expect(service.lineageQueries).toEqual([
      { id: A, direction: 'up' },
      { id: B, direction: 'down' },
    ]);
  });

  it('answers 422 for a bad direction', async () => {
    const { call, service } = setup();
    const res = await call(`/v1/artifacts/${A}/lineage?direction=sideways`);
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details.map((d) => d.path)).toEqual(['query.direction']);
    expect(service.lineageQueries).toHaveLength(0);
  });
});
