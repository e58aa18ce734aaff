/**
 * Fakes for the API's collaborators: an in-memory RunService (recipes are
 * parsed and compiled by the real, pure recipe module, as the real service
 * does) and a TokenVerifier that knows one token.
 */
import type { RunView } from '../../../service/view.ts';
import { createApp } from '../../../api/app.ts';
import type { ApiLogger } from '../../../api/context.ts';
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  type ArtifactInfo,
  type DocumentTraining,
  type DocumentTrainingWindow,
  type ResumeResult,
  type ScheduleRequest,
  type ScheduleView,
  type LineageEntry,
  type RunReport,
  type RunLogs,
  type RunLogsQuery,
  type RunService,
  type RunStatus,
  type RunSummary,
  type StartRunRequest,
  type StartedRunResponse,
  type TokenVerifier,
} from '../../../service/contract.ts';
import { decodeRunCursor, encodeRunCursor } from '../../../infra/db/run-cursor.ts';
import { formatDuration, scheduleIdFor, scheduleSettings } from '../../../infra/schedules.ts';
import { RecipeError, compileRecipe, parseRecipeText, parseRecipeValue, type Plan } from '../../../recipe/index.ts';

export const TOKEN = 'brs_test-token';

/** A valid recipe as YAML text. */
export const RECIPE_YAML = `apiVersion: braise/v1
name: tiny
seed: 7
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [a, b] }
stages:
  - id: base
    kind: pretrain
    inputs: [web]
    with: { steps: 20, batchSize: 4, lr: 3e-3, checkpointEvery: 10 }
`;

/** The same recipe as a JSON value. */
export const RECIPE_JSON = {
  apiVersion: 'braise/v1',
  name: 'tiny',
  seed: 7,
  model: { layers: 1, dModel: 32, heads: 2, context: 32 },
  datasets: { web: { source: 'builtin:brown', genres: ['a', 'b'] } },
  stages: [{ id: 'base', kind: 'pretrain', inputs: ['web'], with: { steps: 20, batchSize: 4, lr: 3e-3, checkpointEvery: 10 } }],
};

export class FakeTokens implements TokenVerifier {
  readonly seen: string[] = [];
  async verify(token: string): Promise<boolean> {
    this.seen.push(token);
    return token === TOKEN;
  }
}

export class FakeLogger implements ApiLogger {
  readonly errors: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  error(obj: Record<string, unknown>, msg: string): void {
    this.errors.push({ obj, msg });
  }
}

interface StoredRun {
  summary: RunSummary;
  recipeKey: string;
}

/** An in-memory RunService that records what it was asked. */
export class FakeRunService implements RunService {
  readonly startRequests: StartRunRequest[] = [];
  readonly listQueries: Array<Parameters<RunService['listRuns']>[0]> = [];
  readonly metricsQueries: Array<{ runId: string; q: { stage?: string; name?: string } }> = [];
  readonly lineageQueries: Array<{ id: string; direction: 'up' | 'down' }> = [];
  readonly runs = new Map<string, StoredRun>();
  readonly artifacts = new Map<string, ArtifactInfo>();
  ready: { temporal: boolean; database: boolean; artifacts?: boolean } = { temporal: true, database: true };
  /** When set, every call throws it (to test how the API reports unexpected failures). */
  failWith: Error | null = null;
  private readonly byIdempotencyKey = new Map<string, string>();
  private clock = Date.parse('2025-01-01T00:00:00Z');

  private check(): void {
    if (this.failWith) throw this.failWith;
  }

  async validate(recipe: string | unknown): Promise<Plan> {
    this.check();
    try {
      return compileRecipe(typeof recipe === 'string' ? parseRecipeText(recipe) : parseRecipeValue(recipe));
    } catch (err) {
      if (err instanceof RecipeError) throw new InvalidInputError(err.issues);
      throw err;
    }
  }

  async startRun(req: StartRunRequest): Promise<StartedRunResponse> {
    this.check();
    this.startRequests.push(req);
    const plan = await this.validate(req.recipe);
    const existing = req.idempotencyKey ? this.byIdempotencyKey.get(req.idempotencyKey) : undefined;
    if (existing) {
      const run = this.runs.get(existing)!;
      if (run.recipeKey !== plan.recipeHash) throw new ConflictError(`Idempotency-Key "${req.idempotencyKey}" was used for another recipe`);
      return { runId: existing, workflowId: run.summary.workflowId, temporalUiUrl: run.summary.temporalUiUrl!, created: false };
    }
    const runId = `run-${this.runs.size + 1}`;
    const summary = this.addRun({ runId, recipe: plan.name, status: 'running' });
    this.runs.get(runId)!.recipeKey = plan.recipeHash;
    if (req.idempotencyKey) this.byIdempotencyKey.set(req.idempotencyKey, runId);
    return { runId, workflowId: summary.workflowId, temporalUiUrl: summary.temporalUiUrl!, created: true, ...(plan.warnings && plan.warnings.length > 0 && { warnings: plan.warnings }) };
  }

  /** Adds a run directly (for list and get tests); each is newer than the last. */
  addRun(r: { runId: string; recipe: string; status: RunStatus }): RunSummary {
    this.clock += 60_000;
    const summary: RunSummary = {
      runId: r.runId,
      workflowId: `braise-${r.runId}`,
      recipe: r.recipe,
      status: r.status,
      createdAt: new Date(this.clock).toISOString(),
      finishedAt: null,
      temporalUiUrl: `http://localhost:8233/namespaces/default/workflows/braise-${r.runId}`,
      error: null,
      schedule: null,
    };
    this.runs.set(r.runId, { summary, recipeKey: '' });
    return summary;
  }

  async listRuns(q: Parameters<RunService['listRuns']>[0]): Promise<{ runs: RunSummary[]; nextCursor: string | null }> {
    this.check();
    this.listQueries.push(q);
    const all = [...this.runs.values()]
      .map((r) => r.summary)
      .filter((s) => (q.recipe === undefined || s.recipe === q.recipe) && (q.status === undefined || s.status === q.status) && (q.schedule === undefined || s.schedule === q.schedule))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    // Cursors in the real format (the API checks them), naming the last run of the page.
    const after = q.cursor ? decodeRunCursor(q.cursor).id : null;
    const start = after ? all.findIndex((s) => s.runId === after) + 1 : 0;
    const limit = q.limit ?? 50;
    const page = all.slice(start, start + limit);
    const last = page.at(-1);
    return { runs: page, nextCursor: start + limit < all.length && last ? encodeRunCursor({ createdAt: new Date(last.createdAt), id: last.runId }) : null };
  }

  private run(runId: string): RunSummary {
    const run = this.runs.get(runId);
    if (!run) throw new NotFoundError(`run "${runId}" not found`);
    return run.summary;
  }

  async getRun(runId: string): Promise<RunView> {
    this.check();
    const s = this.run(runId);
    return {
      runId: s.runId,
      workflowId: s.workflowId,
      status: s.status,
      temporalUiUrl: s.temporalUiUrl ?? '',
      error: null,
      stages: [
        {
          id: 'base',
          kind: 'pretrain',
          status: 'running',
          attempts: 1,
          durationMs: null,
          outputs: [],
          metrics: {},
          progress: { step: 5, totalSteps: 20, loss: 3.25 },
        },
      ],
    };
  }

  async metrics(runId: string, q: { stage?: string; name?: string }) {
    this.check();
    this.run(runId);
    this.metricsQueries.push({ runId, q });
    const series = [
      { stage: 'base', name: 'loss', producedBy: { runId, stageId: 'base' }, points: [[1, 5.5], [2, 4.75]] as Array<[number, number]> },
      { stage: 'base', name: 'lr', producedBy: { runId, stageId: 'base' }, points: [[1, 0.001], [2, 0.002]] as Array<[number, number]> },
    ];
    return { series: series.filter((s) => (q.stage === undefined || s.stage === q.stage) && (q.name === undefined || s.name === q.name)) };
  }

  readonly logsQueries: Array<{ runId: string; q: RunLogsQuery }> = [];
  async logs(runId: string, q: RunLogsQuery): Promise<RunLogs> {
    this.check();
    this.run(runId);
    this.logsQueries.push({ runId, q });
    const lines = [
      { stage: 'base', attempt: 1, seq: 0, time: '2026-01-01T00:00:00.000Z', level: 'info' as const, message: 'pretrain "base" attempt 1 started' },
      { stage: 'base', attempt: 1, seq: 1, time: '2026-01-01T00:00:01.000Z', level: 'warn' as const, message: 'a warning' },
    ];
    return { runId, lines: lines.filter((l) => q.stage === undefined || l.stage === q.stage), nextCursor: 'c1' };
  }

  async cancel(runId: string): Promise<{ runId: string; status: RunStatus }> {
    this.check();
    const s = this.run(runId);
    if (s.status !== 'running' && s.status !== 'paused') throw new ConflictError(`run "${runId}" already ${s.status}`);
    s.status = 'cancelled';
    return { runId, status: 'cancelled' };
  }

  readonly resumeRequests: Array<{ runId: string; with?: Record<string, unknown> }> = [];

  async resume(runId: string, req: { with?: Record<string, unknown> }): Promise<ResumeResult> {
    this.check();
    const s = this.run(runId);
    this.resumeRequests.push({ runId, ...req });
    if (s.status === 'running' || s.status === 'completed') throw new ConflictError(`run "${runId}" is ${s.status}`);
    if (s.status === 'paused') {
      s.status = 'running';
      return { runId, workflowId: s.workflowId, resumedFrom: runId, mode: 'in-place', temporalUiUrl: s.temporalUiUrl ?? "" };
    }
    return { runId: `${runId}-2`, workflowId: `${s.workflowId}-2`, resumedFrom: runId, mode: 'new-execution', temporalUiUrl: s.temporalUiUrl ?? "" };
  }

  /** Sweep reports by run id (set by a test); a run without one is 409 while running, 404 after. */
  readonly reports = new Map<string, RunReport>();

  async report(runId: string): Promise<RunReport> {
    this.check();
    const s = this.run(runId);
    const r = this.reports.get(runId);
    if (r) return r;
    if (s.status === 'running') throw new ConflictError(`run ${runId} is running: its report is written once every cell has ended`);
    throw new NotFoundError(`run ${runId} is not a sweep (its recipe has no sweep: block), so it has no report`);
  }

  async getArtifact(id: string): Promise<ArtifactInfo> {
    this.check();
    const a = this.artifacts.get(id);
    if (!a) throw new NotFoundError(`artifact "${id}" not found`);
    return a;
  }

  async lineage(id: string, direction: 'up' | 'down') {
    this.check();
    this.lineageQueries.push({ id, direction });
    const artifact = await this.getArtifact(id);
    const others = [...this.artifacts.values()].filter((a) => a.id !== id);
    const entries: LineageEntry[] = others.map((a, i) => ({ artifact: a, producedBy: { runId: 'run-1', stageId: 'clean', kind: 'filter' }, depth: i + 1 }));
    return direction === 'up' ? { artifact, upstream: entries } : { artifact, downstream: entries };
  }

  /** docId → training windows, per dataset artifact id: what documentTraining answers. */
  readonly documents = new Map<string, Map<string, DocumentTrainingWindow[]>>();

  async documentTraining(artifactId: string, docId: string): Promise<DocumentTraining> {
    this.check();
    await this.getArtifact(artifactId);
    const training = this.documents.get(artifactId)?.get(docId);
    if (!training) throw new NotFoundError(`dataset "${artifactId}" has no document "${docId}"`);
    return { artifactId, docId, training };
  }

  /** Schedules by name; the settings are checked by the real (pure) scheduleSettings. */
  readonly schedules = new Map<string, ScheduleView>();

  async putSchedule(req: ScheduleRequest): Promise<{ schedule: ScheduleView; created: boolean }> {
    this.check();
    const plan = await this.validate(req.recipe);
    const settings = scheduleSettings(req, plan.name);
    const existing = this.schedules.get(settings.name);
    const schedule: ScheduleView = {
      name: settings.name,
      scheduleId: scheduleIdFor(settings.name),
      recipe: plan.name,
      recipeHash: plan.recipeHash,
      cron: settings.cron,
      every: settings.everyMs === null ? null : formatDuration(settings.everyMs),
      timezone: settings.timezone,
      overlap: 'skip',
      catchupWindow: formatDuration(settings.catchupWindowMs),
      paused: existing?.paused ?? false,
      note: existing?.note ?? null,
      nextRuns: ['2025-01-02T02:00:00.000Z'],
      recentRuns: existing?.recentRuns ?? [],
      runningRuns: [],
      createdAt: existing?.createdAt ?? '2025-01-01T00:00:00.000Z',
      updatedAt: existing ? '2025-01-01T01:00:00.000Z' : null,
      temporalUiUrl: `http://localhost:8233/namespaces/default/schedules/${scheduleIdFor(settings.name)}`,
    };
    this.schedules.set(settings.name, schedule);
    return { schedule, created: !existing };
  }

  async listSchedules(): Promise<{ schedules: ScheduleView[] }> {
    this.check();
    return { schedules: [...this.schedules.values()].sort((a, b) => a.name.localeCompare(b.name)) };
  }

  async getSchedule(name: string): Promise<ScheduleView> {
    this.check();
    const s = this.schedules.get(name);
    if (!s) throw new NotFoundError(`no schedule "${name}"`);
    return s;
  }

  async pauseSchedule(name: string, note?: string): Promise<ScheduleView> {
    const s = await this.getSchedule(name);
    Object.assign(s, { paused: true, note: note ?? 'paused' });
    return s;
  }

  async unpauseSchedule(name: string, note?: string): Promise<ScheduleView> {
    const s = await this.getSchedule(name);
    Object.assign(s, { paused: false, note: note ?? 'unpaused' });
    return s;
  }

  async triggerSchedule(name: string): Promise<{ schedule: ScheduleView; runId: string | null }> {
    const s = await this.getSchedule(name);
    const runId = `r-sched${s.recentRuns.length + 1}`;
    s.recentRuns.push({ runId, scheduledAt: '2025-01-01T02:00:00.000Z', startedAt: '2025-01-01T02:00:00.000Z' });
    return { schedule: s, runId };
  }

  async deleteSchedule(name: string): Promise<{ name: string; deleted: true }> {
    await this.getSchedule(name);
    this.schedules.delete(name);
    return { name, deleted: true };
  }

  async readiness(): Promise<{ temporal: boolean; database: boolean; artifacts?: boolean }> {
    this.check();
    return this.ready;
  }
}

export function artifact(id: string, kind: ArtifactInfo['kind'] = 'dataset'): ArtifactInfo {
  return { id, kind, uri: `file:///artifacts/${id}`, bytes: 1234, meta: { docs: 10 }, createdAt: '2025-01-01T00:00:00.000Z' };
}

/** The real app over the fakes, and a `call` that sends the valid token unless told otherwise. */
export function setup() {
  const service = new FakeRunService();
  const tokens = new FakeTokens();
  const logger = new FakeLogger();
  const app = createApp({ service, tokens, logger, version: '1.2.3' });
  const call = (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const { token = TOKEN, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token !== null) headers.set('authorization', `Bearer ${token}`);
    return app.request(path, { ...rest, headers });
  };
  return { app, service, tokens, logger, call };
}

export interface ErrorJson {
  error: { code: string; message: string; details: Array<{ path: string; message: string }> };
}

/** Reads an error response, asserting it has the common shape. */
export async function errorOf(res: Response): Promise<ErrorJson['error']> {
  const body = (await res.json()) as ErrorJson;
  const shapeOk =
    Object.keys(body).join() === 'error' &&
    Object.keys(body.error).sort().join() === 'code,details,message' &&
    typeof body.error.code === 'string' &&
    typeof body.error.message === 'string' &&
    Array.isArray(body.error.details) &&
    body.error.details.every((d) => typeof d.path === 'string' && typeof d.message === 'string');
  if (!shapeOk) {
    throw new Error(`not an error body: ${JSON.stringify(body)}`);
  }
  return body.error;
}
