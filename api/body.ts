/**
 * Recipe request bodies: YAML text or JSON. The route's declared JSON schema
 * is validated by zod-openapi; YAML is read here as text for the service to
 * parse (so its errors carry line numbers).
 */
import type { z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { ApiEnv } from './context.ts';
import { ApiError } from './errors.ts';
import { RecipeYamlSchema } from './schemas.ts';

export const YAML_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'] as const;
export const RECIPE_MEDIA_TYPES = ['application/json', ...YAML_MEDIA_TYPES] as const;

/**
 * A route's `request.body`: JSON validated by `jsonSchema`, or YAML text under
 * each YAML media type, so the document, zod-openapi's media-type gate and
 * {@link requireContentType} agree on what is accepted.
 */
export function recipeBody<T extends z.ZodType>(jsonSchema: T) {
  const yaml = { schema: RecipeYamlSchema };
  return {
    required: true,
    content: { 'application/json': { schema: jsonSchema }, 'application/yaml': yaml, 'application/x-yaml': yaml, 'text/yaml': yaml },
  };
}

function mediaType(c: Context): string | undefined {
  return c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
}

/**
 * Route middleware: 415 `unsupported_media_type` unless the Content-Type is
 * one of `accepted` (parameters such as `charset` are ignored).
 */
export function requireContentType(accepted: readonly string[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const type = mediaType(c);
    if (!type || !accepted.includes(type)) {
      throw new ApiError(415, 'unsupported_media_type', `${type ? `Content-Type ${type}` : 'a missing Content-Type'} is not supported here: send one of ${accepted.join(', ')}`);
    }
    await next();
  };
}

export function isYamlBody(c: Context): boolean {
  const type = mediaType(c);
  return type !== undefined && (YAML_MEDIA_TYPES as readonly string[]).includes(type);
}

/** The body as YAML text; 422 when it is empty. */
export async function readYamlBody(c: Context): Promise<string> {
  const text = await c.req.text();
  if (text.trim() === '') throw new ApiError(422, 'invalid_request', 'the request body is empty: expected a recipe', [{ path: 'body', message: 'required' }]);
  return text;
}
