/** `/v1/artifacts`: artifact metadata and lineage. */
import { createRoute } from '@hono/zod-openapi';
import type { ApiApp } from '../context.ts';
import { asDocumented, authenticated, errorResponses, json } from '../openapi.ts';
import { ArtifactIdParams, ArtifactSchema, LineageQuery, LineageSchema } from '../schemas.ts';
import type { RunService } from '../../service/contract.ts';

const getArtifact = createRoute({
  method: 'get',
  operationId: 'getArtifact',
  path: '/v1/artifacts/{id}',
  tags: ['artifacts'],
  summary: "An artifact's metadata",
  security: authenticated,
  request: { params: ArtifactIdParams },
  responses: { 200: { description: 'The artifact', content: json(ArtifactSchema) }, ...errorResponses(401, 404, 422, 500) },
});

const getLineage = createRoute({
  method: 'get',
  operationId: 'getArtifactLineage',
  path: '/v1/artifacts/{id}/lineage',
  tags: ['artifacts'],
  summary: 'Everything upstream (what it was made from) or downstream (what was made from it) of an artifact',
  security: authenticated,
  request: { params: ArtifactIdParams, query: LineageQuery },
  responses: { 200: { description: 'The lineage in the requested direction', content: json(LineageSchema) }, ...errorResponses(401, 404, 422, 500) },
});

export function registerArtifactRoutes(app: ApiApp, service: RunService): void {
  app.openapi(getArtifact, async (c) => c.json(await service.getArtifact(c.req.valid('param').id), 200));

  app.openapi(getLineage, async (c) => {
    const lineage = await service.lineage(c.req.valid('param').id, c.req.valid('query').direction);
    return c.json(asDocumented(LineageSchema, lineage, 'GET /v1/artifacts/{id}/lineage'), 200);
  });
}
