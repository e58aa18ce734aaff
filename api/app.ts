/**
 * The Braise HTTP API: a Hono app whose routes depend only on a
 * {@link RunService} and a {@link TokenVerifier}.
 *
 * Every `/v1/*` route needs `Authorization: Bearer <token>`, except the
 * OpenAPI document (`/v1/openapi.json`), which is public. `/healthz` and
 * `/readyz` need no token. Bodies over 1 MiB answer 413. Every error is
 * `{ error: { code, message, details } }`; every response carries
 * `X-Request-Id`.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { bearerAuth } from './auth.ts';
import { registerDashboard } from './dashboard.ts';
import { consoleLogger, type ApiEnv, type ApiLogger } from './context.ts';
import { ApiError, handleError, handleNotFound } from './errors.ts';
import { BEARER } from './openapi.ts';
import { registerArtifactRoutes } from './routes/artifacts.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerProvenanceRoutes } from './routes/provenance.ts';
import { registerRecipeRoutes } from './routes/recipes.ts';
import { registerRunRoutes } from './routes/runs.ts';
import { registerScheduleRoutes } from './routes/schedules.ts';
import type { RunService, TokenVerifier } from '../service/contract.ts';
import { defaultHook } from './validation.ts';

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const OPENAPI_PATH = '/v1/openapi.json';

export interface ApiDeps {
  service: RunService;
  tokens: TokenVerifier;
  /** Shown as `info.version` in the OpenAPI document. */
  version?: string;
  /** Receives the errors hidden from clients (500s); defaults to `console.error`. */
  logger?: ApiLogger;
  /** A built dashboard (infra/dashboard-build.ts) to serve at `/`; none when absent. */
  dashboardDir?: string;
}

export function createApp(deps: ApiDeps): OpenAPIHono<ApiEnv> {
  const logger = deps.logger ?? consoleLogger;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook });

  app.use(requestId());
  app.use('/v1/*', bearerAuth(deps.tokens, [OPENAPI_PATH]));
  // Counts the bytes as they arrive, so a chunked body without Content-Length is cut off too.
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `request body exceeds ${MAX_BODY_BYTES} bytes (1 MiB)`);
      },
    }),
  );

  registerHealthRoutes(app, deps.service, logger);
  registerRecipeRoutes(app, deps.service);
  registerRunRoutes(app, deps.service);
  registerScheduleRoutes(app, deps.service);
  registerArtifactRoutes(app, deps.service);
  registerProvenanceRoutes(app, deps.service);

  app.openAPIRegistry.registerComponent('securitySchemes', BEARER, {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token: `braise token create --name <name>` prints one; `braise up` writes a local one to .braise/token.',
  });
  // Listed in itself so the document names every route the app serves.
  app.openAPIRegistry.registerPath({
    method: 'get',
    operationId: 'getOpenApiDocument',
    path: OPENAPI_PATH,
    tags: ['meta'],
    summary: 'This OpenAPI 3.1 document (public: no token needed)',
    security: [],
    responses: { 200: { description: 'The OpenAPI document', content: { 'application/json': { schema: { type: 'object' } } } } },
  });
  // Generated once, here: a schema the generator cannot document fails createApp, not a request.
  const document = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'Braise API', version: deps.version ?? '0.0.0-dev', description: 'Run LLM training recipes as Temporal workflows.' },
  });
  app.get(OPENAPI_PATH, (c) => c.json(document));

  if (deps.dashboardDir) registerDashboard(app, deps.dashboardDir);

  app.notFound(handleNotFound);
  app.onError(handleError(logger));
  return app;
}
