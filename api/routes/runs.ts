/** `/v1/runs`: start, list, inspect and cancel runs. */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { RECIPE_MEDIA_TYPES, isYamlBody, recipeBody, readYamlBody, requireContentType } from '../body.ts';
import type { ApiApp, ApiEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import { asDocumented, authenticated, errorResponses, json } from '../openapi.ts';
import {
  CancelResultSchema,
  ErrorSchema,
  ResumeRequestSchema,
  ResumeResultSchema,
  IdempotencyHeaders,
  ListRunsQuery,
  LogsQuery,
  MetricsQuery,
  MetricsSchema,
  RunIdParams,
  RunListSchema,
  RunLogsSchema,
  RunReportSchema,
  RunViewSchema,
  StartRunJsonSchema,
  StartRunRequestSchema,
  StartedRunSchema,
} from '../schemas.ts';
import type { RunService, StartRunRequest } from '../../service/contract.ts';
import { parseOrThrow } from '../validation.ts';

const startRun = createRoute({
  method: 'post',
  operationId: 'startRun',
  path: '/v1/runs',
  tags: ['runs'],
  summary: 'Start a run',
  description:
    'The body is a recipe (YAML text, or a JSON object with `apiVersion`) or JSON `{ recipe, noCache?, onFailure? }`. With an Idempotency-Key already used for the same recipe, answers 200 with the run the first request started.',
  security: authenticated,
  middleware: [requireContentType(RECIPE_MEDIA_TYPES)] as const,
  request: {
    headers: IdempotencyHeaders,
    body: recipeBody(StartRunJsonSchema),
  },
  responses: {
    201: { description: 'Started', content: json(StartedRunSchema), headers: { Location: { schema: { type: 'string' }, description: 'The run' } } },
    200: { description: 'The run an earlier request with the same Idempotency-Key started', content: json(StartedRunSchema) },
    ...errorResponses(400, 401, 409, 413, 415, 422, 500),
  },
});

const listRuns = createRoute({
  method: 'get',
  operationId: 'listRuns',
  path: '/v1/runs',
  tags: ['runs'],
  summary: 'List runs, newest first',
  security: authenticated,
  request: { query: ListRunsQuery },
  responses: { 200: { description: 'A page of runs', content: json(RunListSchema) }, ...errorResponses(401, 422, 500) },
});

const getRun = createRoute({
  method: 'get',
  operationId: 'getRun',
  path: '/v1/runs/{id}',
  tags: ['runs'],
  summary: "A run's status and stages",
  security: authenticated,
  request: { params: RunIdParams },
  responses: { 200: { description: 'The run', content: json(RunViewSchema) }, ...errorResponses(401, 404, 422, 500) },
});

const getMetrics = createRoute({
  method: 'get',
  operationId: 'getRunMetrics',
  path: '/v1/runs/{id}/metrics',
  tags: ['runs'],
  summary: "A run's metric series (loss curves)",
  security: authenticated,
  request: { params: RunIdParams, query: MetricsQuery },
  responses: { 200: { description: 'One series per stage and metric name', content: json(MetricsSchema) }, ...errorResponses(401, 404, 422, 500) },
});

const getLogs = createRoute({
  method: 'get',
  operationId: 'getRunLogs',
  path: '/v1/runs/{id}/logs',
  tags: ['runs'],
  summary: "A run's stage logs: each stage attempt's lines (its start and end, progress, warnings, errors, the trainer's output), oldest first",
  description: 'Follow a run by asking again with `after` set to the `nextCursor` of the previous page until the run has ended (then ask once more).',
  security: authenticated,
  request: { params: RunIdParams, query: LogsQuery },
  responses: { 200: { description: 'A page of log lines', content: json(RunLogsSchema) }, ...errorResponses(401, 404, 422, 500) },
});

const getReport = createRoute({
  method: 'get',
  operationId: 'getRunReport',
  path: '/v1/runs/{id}/report',
  tags: ['runs'],
  summary: "A sweep's report: a row per cell, the best cell, and for a scheduled sweep what regressed",
  security: authenticated,
  request: { params: RunIdParams },
  responses: {
    200: { description: 'The report', content: json(RunReportSchema) },
    ...errorResponses(401, 404, 422, 500),
    409: { description: 'The sweep is still running: its report is written once every cell has ended', content: json(ErrorSchema) },
  },
});

const cancelRun = createRoute({
  method: 'post',
  operationId: 'cancelRun',
  path: '/v1/runs/{id}/cancel',
  tags: ['runs'],
  summary: 'Request cancellation of a run',
  security: authenticated,
  request: { params: RunIdParams },
  responses: {
    202: { description: 'Cancellation requested', content: json(CancelResultSchema) },
    ...errorResponses(401, 404, 422, 500),
    409: { description: 'The run already ended (completed, failed or cancelled): nothing to cancel', content: json(ErrorSchema) },
  },
});

const resumeRun = createRoute({
  method: 'post',
  operationId: 'resumeRun',
  path: '/v1/runs/{id}/resume',
  tags: ['runs'],
  summary: 'Resume a paused run in place, or an ended one as a new execution that reuses every finished stage',
  security: authenticated,
  request: { params: RunIdParams, body: { required: false, content: { 'application/json': { schema: ResumeRequestSchema } } } },
  responses: {
    202: { description: 'Resumed', content: json(ResumeResultSchema) },
    ...errorResponses(400, 401, 404, 409, 413, 415, 422, 500),
  },
});

/**
 * The JSON forms, told apart by their keys: `apiVersion` at top level is a
 * recipe (the service validates it in full); otherwise `recipe` wraps one with
 * run options. A JSON string is the recipe's YAML text.
 */
async function startRequest(c: Context<ApiEnv>, body: unknown): Promise<Omit<StartRunRequest, 'idempotencyKey'>> {
  if (isYamlBody(c)) return { recipe: await readYamlBody(c) };
  if (typeof body === 'string') return { recipe: body };
  const keys = typeof body === 'object' && body !== null ? body : {};
  if ('apiVersion' in keys) return { recipe: body };
  if ('recipe' in keys) return parseOrThrow(StartRunRequestSchema, body, 'body');
  throw new ApiError(422, 'invalid_request', 'expected a recipe (an object with "apiVersion"), { "recipe": …, "noCache"?, "onFailure"? } or the recipe\'s YAML text as a JSON string', [
    { path: 'body', message: 'neither "apiVersion" nor "recipe" is present' },
  ]);
}

/** Absent query parameters stay absent in what the service receives. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function registerRunRoutes(app: ApiApp, service: RunService): void {
  app.openapi(startRun, async (c) => {
    const request = await startRequest(c, c.req.valid('json'));
    const idempotencyKey = c.req.valid('header')['idempotency-key'];
    const { created, ...started } = await service.startRun({ ...request, ...(idempotencyKey !== undefined && { idempotencyKey }) });
    if (!created) return c.json(started, 200);
    c.header('Location', `/v1/runs/${encodeURIComponent(started.runId)}`);
    return c.json(started, 201);
  });

  app.openapi(listRuns, async (c) => {
    return c.json(await service.listRuns(withoutUndefined(c.req.valid('query'))), 200);
  });

  app.openapi(getRun, async (c) => c.json(asDocumented(RunViewSchema, await service.getRun(c.req.valid('param').id), 'GET /v1/runs/{id}'), 200));

  app.openapi(getMetrics, async (c) => {
    return c.json(await service.metrics(c.req.valid('param').id, withoutUndefined(c.req.valid('query'))), 200);
  });

  app.openapi(getLogs, async (c) => c.json(await service.logs(c.req.valid('param').id, withoutUndefined(c.req.valid('query'))), 200));

  app.openapi(getReport, async (c) => c.json(asDocumented(RunReportSchema, await service.report(c.req.valid('param').id), 'GET /v1/runs/{id}/report'), 200));

  app.openapi(cancelRun, async (c) => c.json(await service.cancel(c.req.valid('param').id), 202));

  app.openapi(resumeRun, async (c) => {
    const body = (c.req.header('content-length') === '0' || !c.req.header('content-type') ? {} : c.req.valid('json')) ?? {};
    return c.json(await service.resume(c.req.valid('param').id, body), 202);
  });
}
