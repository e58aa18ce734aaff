/**
 * A small OpenAI-compatible server for tests: serves one Braise model directory on 127.0.0.1 (a free
 * port). `POST /v1/chat/completions` samples with `ml/generate.ts` in this process (the prompt is
 * the messages' contents joined by blank lines; `temperature`, `max_tokens` and `seed` are honoured;
 * top-k is off); `GET /v1/models` lists the model. For testing clients it can delay answers, fail the
 * first requests with a chosen status, and require an API key; it counts requests in flight.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { selectBackend, type BackendPreference } from '../../ml/backend.ts';
import { loadModel } from '../../ml/checkpoint.ts';
import { generateIds } from '../../ml/generate.ts';

export interface OpenAiServerOptions {
  modelDir: string;
  /** The model id clients must name; default `braise`. */
  modelName?: string;
  /** Upper bound on `max_tokens` (and its default); default 32. */
  maxTokensCap?: number;
  /** Seed when a request sends none; default 0. */
  seed?: number;
  /** Wait this long before answering each chat request (lets a test observe concurrency). */
  delayMs?: number;
  /** Answer the first `count` chat requests with `status` (and `Retry-After: retryAfterS` when set). */
  failFirst?: { count: number; status: number; retryAfterS?: number };
  /** When set, requests must send `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  backend?: BackendPreference;
}

export interface OpenAiServerStats {
  /** Chat requests received (including injected failures). */
  chatRequests: number;
  /** Chat requests answered with an injected failure. */
  injectedFailures: number;
  inFlight: number;
  /** The most chat requests in flight at once. */
  maxInFlight: number;
}

export interface OpenAiServer {
  /** `http://127.0.0.1:<port>` (no trailing slash, no `/v1`). */
  url: string;
  stats: OpenAiServerStats;
  /** Parsed bodies of the chat requests, in arrival order. */
  bodies: unknown[];
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function apiError(res: ServerResponse, status: number, message: string, code: string, headers: Record<string, string> = {}): void {
  send(res, status, { error: { message, type: 'invalid_request_error', code } }, headers);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the server; resolves once it listens. The caller closes it. */
export async function startOpenAiServer(opts: OpenAiServerOptions): Promise<OpenAiServer> {
  await selectBackend(opts.backend ?? 'auto');
  const { model, tokenizer } = await loadModel(opts.modelDir);
  const modelName = opts.modelName ?? 'braise';
  const cap = opts.maxTokensCap ?? 32;
  const stats: OpenAiServerStats = { chatRequests: 0, injectedFailures: 0, inFlight: 0, maxInFlight: 0 };
  const bodies: unknown[] = [];
  let completions = 0;
  // One generation at a time: answers do not depend on how requests interleave.
  let queue: Promise<unknown> = Promise.resolve();

  async function chat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const n = stats.chatRequests++;
    if (opts.failFirst !== undefined && n < opts.failFirst.count) {
      stats.injectedFailures += 1;
      const headers: Record<string, string> = opts.failFirst.retryAfterS !== undefined ? { 'retry-after': String(opts.failFirst.retryAfterS) } : {};
      apiError(res, opts.failFirst.status, `injected failure ${n + 1} of ${opts.failFirst.count}`, 'injected', headers);
      return;
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(await readBody(req));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      apiError(res, 400, 'request body must be a JSON object', 'invalid_json');
      return;
    }
    bodies.push(body);
    if (body['model'] !== modelName) {
      apiError(res, 404, `The model '${String(body['model'])}' does not exist`, 'model_not_found');
      return;
    }
    const messages = body['messages'];
    if (!Array.isArray(messages) || messages.length === 0 || !messages.every((m) => typeof (m as { content?: unknown }).content === 'string')) {
      apiError(res, 400, "'messages' must be a non-empty array of {role, content}", 'invalid_messages');
      return;
    }
    const prompt = messages.map((m: { content: string }) => m.content).join('\n\n');
    const maxTokens = typeof body['max_tokens'] === 'number' ? Math.min(cap, body['max_tokens']) : cap;
    const temperature = typeof body['temperature'] === 'number' ? body['temperature'] : 1;
    const seed = typeof body['seed'] === 'number' ? body['seed'] : (opts.seed ?? 0);

    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      if (opts.delayMs !== undefined) await new Promise((r) => setTimeout(r, opts.delayMs));
      const promptIds = tokenizer.encode(prompt);
      const job = queue.then(() => generateIds(model, [promptIds], tokenizer.eosId, { maxNewTokens: maxTokens, temperature, topK: 0, seed }));
      queue = job.catch(() => undefined);
      const [ids] = await job;
      const content = tokenizer.decode(ids ?? []);
      send(res, 200, {
        id: `chatcmpl-${++completions}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: modelName,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: (ids?.length ?? 0) >= maxTokens ? 'length' : 'stop' }],
        usage: { prompt_tokens: promptIds.length, completion_tokens: ids?.length ?? 0, total_tokens: promptIds.length + (ids?.length ?? 0) },
      });
    } finally {
      stats.inFlight -= 1;
    }
  }

  const server = createServer((req, res) => {
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      apiError(res, 401, 'Incorrect API key provided', 'invalid_api_key');
      return;
    }
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      send(res, 200, { object: 'list', data: [{ id: modelName, object: 'model', created: 0, owned_by: 'braise' }] });
    } else if (req.method === 'POST' && path === '/v1/chat/completions') {
      chat(req, res).catch((err: unknown) => {
        if (!res.headersSent) apiError(res, 500, err instanceof Error ? err.message : String(err), 'server_error');
      });
    } else {
      apiError(res, 404, `no route for ${req.method ?? '?'} ${path ?? ''}`, 'not_found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    bodies,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => {
          model.dispose();
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}
