/**
 * The RunService over the Braise HTTP API: what the CLI uses when a `braise up` (or `braise api`)
 * answers. Every call is one request with the bearer token; the API's error shape comes back as the
 * service's own errors (404 NotFoundError, 409 ConflictError, 422 InvalidInputError with its issues),
 * so a command handles an HTTP service and the embedded one alike. It cannot wait for a run
 * (`awaitRun` is absent): followers poll `getRun`.
 */
import type { RecipeIssue } from '../recipe/errors.ts';
import { ConflictError, InvalidInputError, NotFoundError, type RunService, type ScheduleView } from './contract.ts';

interface ErrorBody {
  error?: { code?: string; message?: string; details?: Array<{ path: string; message: string }> };
}

/** A RunService over the HTTP API; API errors come back as the service's own error types. */
export function httpRunService(base: string, token: string): RunService {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await send<T>(method, path, body)).json;
  }
  async function send<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const json = (text ? JSON.parse(text) : {}) as T & ErrorBody;
    if (res.ok) return { status: res.status, json };
    const message = json.error?.message ?? `${method} ${path}: HTTP ${res.status}`;
    if (res.status === 404) throw new NotFoundError(message);
    if (res.status === 409) throw new ConflictError(message);
    if (res.status === 422) throw new InvalidInputError((json.error?.details ?? []) as RecipeIssue[], message);
    throw new Error(`${message} (HTTP ${res.status} from ${base})`);
  }
  const qs = (q: Record<string, string | number | undefined>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
    const s = p.toString();
    return s ? `?${s}` : '';
  };
  const enc = encodeURIComponent;
  return {
    validate: async (recipe) => (await call<{ plan: Awaited<ReturnType<RunService['validate']>> }>('POST', '/v1/recipes/validate', recipe)).plan,
    startRun: async (req) => ({ ...(await call<Omit<Awaited<ReturnType<RunService['startRun']>>, 'created'>>('POST', '/v1/runs', { recipe: req.recipe, noCache: req.noCache, onFailure: req.onFailure })), created: true }),
    listRuns: (q) => call('GET', `/v1/runs${qs(q)}`),
    getRun: (id) => call('GET', `/v1/runs/${enc(id)}`),
    metrics: (id, q) => call('GET', `/v1/runs/${enc(id)}/metrics${qs(q)}`),
    logs: (id, q) => call('GET', `/v1/runs/${enc(id)}/logs${qs({ ...q })}`),
    cancel: (id) => call('POST', `/v1/runs/${enc(id)}/cancel`),
    resume: (id, req) => call('POST', `/v1/runs/${enc(id)}/resume`, req),
    report: (id) => call('GET', `/v1/runs/${enc(id)}/report`),
    getArtifact: (id) => call('GET', `/v1/artifacts/${enc(id)}`),
    lineage: (id, direction) => call('GET', `/v1/artifacts/${enc(id)}/lineage${qs({ direction })}`),
    putSchedule: async ({ name, ...rest }) => {
      // 201 created, 200 updated; without a name the server takes the recipe's.
      const res = name !== undefined ? await send<ScheduleView>('PUT', `/v1/schedules/${enc(name)}`, rest) : await send<ScheduleView>('POST', '/v1/schedules', rest);
      return { schedule: res.json, created: res.status === 201 };
    },
    listSchedules: () => call('GET', '/v1/schedules'),
    getSchedule: (name) => call('GET', `/v1/schedules/${enc(name)}`),
    pauseSchedule: (name, note) => call('POST', `/v1/schedules/${enc(name)}/pause`, note !== undefined ? { note } : {}),
    unpauseSchedule: (name, note) => call('POST', `/v1/schedules/${enc(name)}/unpause`, note !== undefined ? { note } : {}),
    triggerSchedule: (name) => call('POST', `/v1/schedules/${enc(name)}/trigger`),
    deleteSchedule: (name) => call('DELETE', `/v1/schedules/${enc(name)}`),
    documentTraining: (id, docId) => call('GET', `/v1/artifacts/${enc(id)}/documents/${enc(docId)}/training`),
    readiness: async () => {
      const res = await fetch(`${base}/readyz`);
      const body = (await res.json()) as { temporal?: boolean; database?: boolean; artifacts?: boolean };
      return { temporal: body.temporal ?? res.ok, database: body.database ?? res.ok, ...(body.artifacts !== undefined ? { artifacts: body.artifacts } : {}) };
    },
  };
}
