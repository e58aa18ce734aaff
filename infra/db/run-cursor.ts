/**
 * Opaque keyset cursors for `listRuns`: the (created_at, id) of the last run on a
 * page, base64url-encoded so callers treat it as a token, not as data.
 */

export interface RunCursor {
  createdAt: Date;
  id: string;
}

export function encodeRunCursor(c: RunCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id]), 'utf8').toString('base64url');
}

/** Throws an Error naming the cursor when it was not produced by {@link encodeRunCursor}. */
export function decodeRunCursor(cursor: string): RunCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 2) {
    const [at, id]: unknown[] = parsed;
    if (typeof at === 'string' && typeof id === 'string') {
      const createdAt = new Date(at);
      if (!Number.isNaN(createdAt.getTime())) return { createdAt, id };
    }
  }
  throw new Error(`listRuns: cursor ${JSON.stringify(cursor)} is not a cursor returned by listRuns`);
}
