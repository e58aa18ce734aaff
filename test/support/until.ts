/**
 * Polls `fn` until it returns a value (not null or undefined; a throw counts as not yet), or fails after
 * `timeoutMs` naming `what`.
 */
export async function until<T>(fn: () => Promise<T | null | undefined>, timeoutMs: number, what: string, everyMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn().catch(() => null);
    if (v !== null && v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}
