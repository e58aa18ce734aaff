/**
 * The API's error model. Every error response has one shape:
 * `{ error: { code, message, details: [{ path, message }] } }`. Routes and
 * middleware throw; {@link handleError} (the app's one `onError`) turns what
 * was thrown into that shape, and hides everything it does not recognise.
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { RecipeError, formatIssue, type RecipeIssue } from '../recipe/errors.ts';
import type { ApiEnv, ApiLogger } from './context.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../service/contract.ts';

export interface ErrorDetail {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[] };
}

/** Codes for statuses thrown without one (hono's own HTTPExceptions, e.g. the 415 of a body validator). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_request',
  503: 'unavailable',
};

/** An HTTP error with a machine-readable code and per-field details; the one error type routes throw. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(status, { message });
    this.name = 'ApiError';
  }
}

export function errorBody(code: string, message: string, details: ErrorDetail[] = []): ErrorBody {
  return { error: { code, message, details } };
}

/** Recipe issues → details; the line (when the recipe was YAML text) goes into the message. */
export function issueDetails(issues: readonly RecipeIssue[]): ErrorDetail[] {
  return issues.map((i) => ({ path: i.path, message: i.line !== undefined ? `line ${i.line}: ${i.message}` : i.message }));
}

function invalidRecipe(issues: readonly RecipeIssue[], message: string): ApiError {
  const summary = `${message} (${issues.length} ${issues.length === 1 ? 'error' : 'errors'})`;
  // formatIssue keeps line numbers in the one-line message too, for clients that only print `message`.
  const first = issues[0];
  return new ApiError(422, 'invalid_recipe', first ? `${summary}: ${formatIssue(first)}${issues.length > 1 ? ', …' : ''}` : summary, issueDetails(issues));
}

/** What a thrown value means for the client; `null` when it must be hidden (a 500). */
export function toApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad_request');
    if (status >= 500) return null;
    return new ApiError(status, code, err.message || code.replaceAll('_', ' '));
  }
  if (err instanceof InvalidInputError) return invalidRecipe(err.issues, err.message);
  // The recipe layer's own error, should a service let it through unwrapped.
  if (err instanceof RecipeError) return invalidRecipe(err.issues, 'invalid recipe');
  if (err instanceof NotFoundError) return new ApiError(404, 'not_found', err.message);
  if (err instanceof ConflictError) return new ApiError(409, 'conflict', err.message);
  return null;
}

/**
 * The app's `onError`: known errors answer with their status and code;
 * anything else is logged with the request id and answered with a generic 500,
 * so no stack trace or internal message leaves the server.
 */
export function handleError(logger: ApiLogger): ErrorHandler<ApiEnv> {
  return (err, c) => {
    const apiError = toApiError(err);
    if (apiError) {
      if (apiError.status === 401) c.header('WWW-Authenticate', 'Bearer');
      // The rest of an oversized body is still on its way and is not read: the connection cannot carry another
      // request, so say so (a keep-alive client opens a new one instead of failing on a dropped socket).
      if (apiError.status === 413) c.header('Connection', 'close');
      return c.json(errorBody(apiError.code, apiError.message, apiError.details), apiError.status);
    }
    const requestId = c.get('requestId');
    logger.error({ err, requestId, method: c.req.method, path: c.req.path }, 'unhandled error in API request');
    return c.json(errorBody('internal', `internal error (request id ${requestId})`), 500);
  };
}

/** The app's `notFound`: unknown routes answer 404 in the common shape. */
export const handleNotFound: NotFoundHandler<ApiEnv> = (c: Context<ApiEnv>) =>
  c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404);
