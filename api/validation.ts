/**
 * Request validation failures → 422 `invalid_request`, the same shape
 * whether a route's declared schema (via {@link defaultHook}) or a handler's
 * own second look at a body ({@link parseOrThrow}) found the problem.
 */
import type { Hook, z } from '@hono/zod-openapi';
import { formatPath } from '../recipe/errors.ts';
import type { ApiEnv } from './context.ts';
import { ApiError, type ErrorDetail } from './errors.ts';

/** Where a value came from: prefixes every detail's path (`query.limit`, `body.noCache`). */
export type Target = 'query' | 'param' | 'header' | 'json' | 'body' | 'cookie' | 'form';

const PREFIX: Record<Target, string> = { query: 'query', param: 'params', header: 'headers', json: 'body', body: 'body', cookie: 'cookies', form: 'body' };
const NOUN: Record<Target, string> = {
  query: 'query parameters',
  param: 'path parameters',
  header: 'headers',
  json: 'request body',
  body: 'request body',
  cookie: 'cookies',
  form: 'request body',
};

/** zod issues → details, each path prefixed with where the value came from. */
export function zodDetails(target: Target, error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    const where = path.startsWith('[') ? `${PREFIX[target]}${path}` : path ? `${PREFIX[target]}.${path}` : PREFIX[target];
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : issue.message;
    return { path: where, message };
  });
}

export function validationError(target: Target, error: z.ZodError): ApiError {
  const details = zodDetails(target, error);
  return new ApiError(422, 'invalid_request', `invalid ${NOUN[target]} (${details.length} ${details.length === 1 ? 'error' : 'errors'})`, details);
}

/** Parses with `schema` or throws the same 422 the {@link defaultHook} would answer. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, target: Target): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(target, result.error);
  return result.data;
}

/**
 * The app's one validation hook: every schema a route declares (query,
 * params, headers, JSON body) fails the same way, by throwing to `onError`.
 */
export const defaultHook: Hook<unknown, ApiEnv, string, void> = (result) => {
  if (!result.success) throw validationError(result.target as Target, result.error);
};
