/**
 * Probes (no auth): `/healthz` says the process serves HTTP; `/readyz` says
 * its dependencies (Temporal, the database, an S3 artifact bucket) are reachable.
 */
import { createRoute } from '@hono/zod-openapi';
import type { ApiApp, ApiLogger } from '../context.ts';
import { errorBody } from '../errors.ts';
import { errorResponses, json } from '../openapi.ts';
import { HealthSchema, ReadySchema } from '../schemas.ts';
import type { RunService } from '../../service/contract.ts';

const healthz = createRoute({
  method: 'get',
  operationId: 'getHealth',
  path: '/healthz',
  tags: ['health'],
  summary: 'Liveness',
  responses: { 200: { description: 'The process serves requests', content: json(HealthSchema) } },
});

const readyz = createRoute({
  method: 'get',
  operationId: 'getReadiness',
  path: '/readyz',
  tags: ['health'],
  summary: 'Readiness: Temporal and the database are reachable',
  responses: { 200: { description: 'Ready', content: json(ReadySchema) }, ...errorResponses(503) },
});

export function registerHealthRoutes(app: ApiApp, service: RunService, logger: ApiLogger): void {
  app.openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200));

  app.openapi(readyz, async (c) => {
    let ready: { temporal: boolean; database: boolean; artifacts?: boolean };
    try {
      ready = await service.readiness();
    } catch (err) {
      logger.error({ err, requestId: c.get('requestId') }, 'readiness check failed');
      return c.json(errorBody('unavailable', 'readiness check failed'), 503);
    }
    const down = (['temporal', 'database', 'artifacts'] as const).filter((dep) => ready[dep] === false);
    if (down.length === 0) return c.json({ status: 'ready' as const, ...ready }, 200);
    return c.json(
      errorBody('unavailable', `not ready: ${down.join(' and ')} unreachable`, down.map((dep) => ({ path: dep, message: 'unreachable' }))),
      503,
    );
  });
}
