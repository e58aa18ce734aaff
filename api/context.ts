/** Types shared by the app and its route files. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { RequestIdVariables } from 'hono/request-id';

/** Context variables every request carries (`c.get('requestId')`). */
export type ApiEnv = { Variables: RequestIdVariables };

/** The application the route files register on. */
export type ApiApp = OpenAPIHono<ApiEnv>;

/**
 * Where the API reports failures it hides from clients (500s). pino's
 * `logger.error(obj, msg)` satisfies it.
 */
export interface ApiLogger {
  error(obj: Record<string, unknown>, msg: string): void;
}

/** The default logger: `console.error`, so nothing is lost when none is injected. */
export const consoleLogger: ApiLogger = {
  error: (obj, msg) => console.error(msg, obj),
};
