/** Pieces every route file uses to document itself the same way. */
import type { z } from '@hono/zod-openapi';
import { ErrorSchema } from './schemas.ts';

/** The name of the bearer security scheme in the OpenAPI document. */
export const BEARER = 'bearerAuth';

/** `security` of a route that needs `Authorization: Bearer <token>`. */
export const authenticated = [{ [BEARER]: [] }];

const DESCRIPTIONS = {
  400: 'Malformed JSON body',
  401: 'Missing or invalid bearer token',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'Body larger than 1 MiB',
  415: 'Unsupported Content-Type',
  422: 'Invalid request: every problem with its path',
  500: 'Internal error (details are logged, not returned)',
  503: 'A dependency is unreachable',
} as const;

export type ErrorStatus = keyof typeof DESCRIPTIONS;

/** Documented error responses, all in the common `Error` shape. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]): Record<S, { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }> {
  const out = {} as Record<S, { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }>;
  for (const status of statuses) out[status] = { description: DESCRIPTIONS[status], content: { 'application/json': { schema: ErrorSchema } } };
  return out;
}

/** `content` of a JSON response. */
export const json = <T>(schema: T) => ({ 'application/json': { schema } });

/**
 * A service result read through its documented response schema, so what leaves the server is what the document
 * promises (enums included) and nothing more; a mismatch is a server bug, answered 500 and logged.
 */
export function asDocumented<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`${what}: the response does not match its documented schema: ${result.error.message}`);
  return result.data;
}
