/**
 * Bearer-token authentication for `/v1/*`. A missing header, a scheme other
 * than Bearer, or a token the verifier rejects → 401 `unauthorized`.
 */
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from './context.ts';
import { ApiError } from './errors.ts';
import type { TokenVerifier } from '../service/contract.ts';

/** `publicPaths` skip the check (exact paths, e.g. the OpenAPI document). */
export function bearerAuth(tokens: TokenVerifier, publicPaths: readonly string[] = []): MiddlewareHandler<ApiEnv> {
  const open = new Set(publicPaths);
  return async (c, next) => {
    if (open.has(c.req.path)) return next();
    const header = c.req.header('authorization');
    if (!header) throw new ApiError(401, 'unauthorized', 'missing Authorization header: send "Authorization: Bearer <token>"');
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match?.[1]) throw new ApiError(401, 'unauthorized', 'malformed Authorization header: expected "Bearer <token>"');
    if (!(await tokens.verify(match[1]))) throw new ApiError(401, 'unauthorized', 'invalid or revoked token');
    return next();
  };
}
