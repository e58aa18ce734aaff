/** `/v1/schedules`: recipes run on a cron expression or an interval (Temporal Schedules underneath). */
import { createRoute } from '@hono/zod-openapi';
import type { ApiApp } from '../context.ts';
import { authenticated, errorResponses, json } from '../openapi.ts';
import {
  CreateScheduleRequestSchema,
  DeletedScheduleSchema,
  PutScheduleRequestSchema,
  ScheduleListSchema,
  ScheduleNameParams,
  ScheduleNoteSchema,
  ScheduleSchema,
  TriggerResultSchema,
} from '../schemas.ts';
import type { RunService } from '../../service/contract.ts';

const CHECKS =
  'The recipe is validated (compiled) as a run start validates it, and the cron expression (or interval), the time zone and the catch-up window are checked: each bad one is a 422 naming it, and nothing is created or changed. Overlap policy skip; catch-up window default 1h.';

const tags = ['schedules'];
const putResponses = { 201: { description: 'Created', content: json(ScheduleSchema) }, 200: { description: 'An existing schedule of that name, updated (its pause state kept)', content: json(ScheduleSchema) } };

const putSchedule = createRoute({
  method: 'put',
  operationId: 'putSchedule',
  path: '/v1/schedules/{name}',
  tags,
  summary: 'Create or update the schedule of this name',
  description: CHECKS,
  security: authenticated,
  request: { params: ScheduleNameParams, body: { required: true, content: json(PutScheduleRequestSchema) } },
  responses: { ...putResponses, ...errorResponses(400, 401, 413, 415, 422, 500) },
});

const createSchedule = createRoute({
  method: 'post',
  operationId: 'createSchedule',
  path: '/v1/schedules',
  tags,
  summary: "Create or update a schedule (named by `name`, default the recipe's name)",
  description: CHECKS,
  security: authenticated,
  request: { body: { required: true, content: json(CreateScheduleRequestSchema) } },
  responses: { ...putResponses, ...errorResponses(400, 401, 413, 415, 422, 500) },
});

const listSchedules = createRoute({
  method: 'get',
  operationId: 'listSchedules',
  path: '/v1/schedules',
  tags,
  summary: 'Every schedule, by name',
  description: "Temporal's list is eventually consistent: a schedule created or deleted a moment ago may be listed (or missing) for a second.",
  security: authenticated,
  responses: { 200: { description: 'The schedules', content: json(ScheduleListSchema) }, ...errorResponses(401, 500) },
});

const getSchedule = createRoute({
  method: 'get',
  operationId: 'getSchedule',
  path: '/v1/schedules/{name}',
  tags,
  summary: 'A schedule: its spec, state, next and recent runs',
  security: authenticated,
  request: { params: ScheduleNameParams },
  responses: { 200: { description: 'The schedule', content: json(ScheduleSchema) }, ...errorResponses(401, 404, 422, 500) },
});

/** `POST /v1/schedules/{name}/pause` and `…/unpause`, with an optional `{ note }`. */
const stateRoute = (action: 'pause' | 'unpause', summary: string, answer: string) =>
  createRoute({
    method: 'post',
    operationId: `${action}Schedule`,
    path: `/v1/schedules/{name}/${action}`,
    tags,
    summary,
    security: authenticated,
    request: { params: ScheduleNameParams, body: { required: false, content: json(ScheduleNoteSchema) } },
    responses: { 200: { description: answer, content: json(ScheduleSchema) }, ...errorResponses(400, 401, 404, 415, 422, 500) },
  });

const pauseSchedule = stateRoute('pause', 'Pause a schedule (it starts no run until unpaused; runs in flight go on)', 'The paused schedule');
const unpauseSchedule = stateRoute('unpause', 'Unpause a schedule', 'The schedule');

const triggerSchedule = createRoute({
  method: 'post',
  operationId: 'triggerSchedule',
  path: '/v1/schedules/{name}/trigger',
  tags,
  summary: "Start a run now (skipped while the schedule's previous run is open)",
  security: authenticated,
  request: { params: ScheduleNameParams },
  responses: { 202: { description: 'Triggered', content: json(TriggerResultSchema) }, ...errorResponses(401, 404, 422, 500) },
});

const deleteSchedule = createRoute({
  method: 'delete',
  operationId: 'deleteSchedule',
  path: '/v1/schedules/{name}',
  tags,
  summary: 'Delete a schedule (the runs it started stay)',
  security: authenticated,
  request: { params: ScheduleNameParams },
  responses: { 200: { description: 'Deleted', content: json(DeletedScheduleSchema) }, ...errorResponses(401, 404, 422, 500) },
});

export function registerScheduleRoutes(app: ApiApp, service: RunService): void {
  app.openapi(putSchedule, async (c) => {
    const { schedule, created } = await service.putSchedule({ ...c.req.valid('json'), name: c.req.valid('param').name });
    return created ? c.json(schedule, 201) : c.json(schedule, 200);
  });

  app.openapi(createSchedule, async (c) => {
    const { schedule, created } = await service.putSchedule(c.req.valid('json'));
    return created ? c.json(schedule, 201) : c.json(schedule, 200);
  });

  app.openapi(listSchedules, async (c) => c.json(await service.listSchedules(), 200));

  app.openapi(getSchedule, async (c) => c.json(await service.getSchedule(c.req.valid('param').name), 200));

  for (const [route, change] of [
    [pauseSchedule, service.pauseSchedule],
    [unpauseSchedule, service.unpauseSchedule],
  ] as const) {
    app.openapi(route, async (c) => {
      // The body is optional: none (or no Content-Type) means no note.
      const body = c.req.header('content-length') === '0' || !c.req.header('content-type') ? undefined : c.req.valid('json');
      return c.json(await change.call(service, c.req.valid('param').name, body?.note), 200);
    });
  }

  app.openapi(triggerSchedule, async (c) => c.json(await service.triggerSchedule(c.req.valid('param').name), 202));

  app.openapi(deleteSchedule, async (c) => c.json(await service.deleteSchedule(c.req.valid('param').name), 200));
}
