/**
 * The dashboard's calls to `/v1`: the token from the login page in localStorage, sent as
 * `Authorization: Bearer` (never in a URL); every answer parsed with its schema; a 401 forgets the token
 * and goes back to the login page.
 */
import type * as z from 'zod/mini';
import { ApiErrorBody } from './schemas.ts';

const TOKEN_KEY = 'braise.token';

export const token = {
  get: (): string | null => localStorage.getItem(TOKEN_KEY),
  set: (t: string): void => localStorage.setItem(TOKEN_KEY, t),
  clear: (): void => localStorage.removeItem(TOKEN_KEY),
};

/** An error answer of the API (its `error.message`), or a response that did not match its schema. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Called on a 401 (main.tsx sends the user to the login page). */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

/** `path` under the API's origin with the stored token; the body parsed by `schema`. */
export async function api<S extends z.ZodMiniType>(path: string, schema: S, init: RequestInit & { bearer?: string } = {}): Promise<z.infer<S>> {
  const bearer = init.bearer ?? token.get() ?? '';
  const res = await fetch(path, { ...init, headers: { ...init.headers, authorization: `Bearer ${bearer}` } });
  const body: unknown = await res.json().catch(() => null);
  if (res.status === 401) {
    if (init.bearer === undefined) {
      token.clear();
      onUnauthorized();
    }
    throw new ApiError(401, ApiErrorBody.safeParse(body).data?.error.message ?? 'unauthorized');
  }
  if (!res.ok) throw new ApiError(res.status, errorText(body) ?? `${res.status} ${res.statusText}`);
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(res.status, `unexpected answer from ${path}: ${issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}

/** The API's error message and each detail (`path: message`) on its own line. */
function errorText(body: unknown): string | null {
  const e = ApiErrorBody.safeParse(body).data?.error;
  if (!e) return null;
  return [e.message, ...(e.details ?? []).map((d) => `${d.path}: ${d.message}`)].join('\n');
}

/** A POST with a JSON body. */
export function post<S extends z.ZodMiniType>(path: string, schema: S, body: unknown): Promise<z.infer<S>> {
  return api(path, schema, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
