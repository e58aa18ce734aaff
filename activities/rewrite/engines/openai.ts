/**
 * The `openai` rewrite engine: any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp server,
 * SGLang, Ollama, …). One `POST /v1/chat/completions` per document with the REWIRE prompt
 * (system + user message), at most `concurrency` in flight; 429 and 5xx answers, network errors and
 * timeouts are retried with exponential backoff (honouring `Retry-After`) up to `maxRetries` times.
 * Other 4xx answers (bad key, unknown model) fail at once as permanent errors.
 */
import { z } from 'zod';
import { PermanentError } from '../../../errors/permanent.ts';
import { StageInputError } from '../../errors.ts';
import type { RewriteCallContext, RewriteEngine } from '../engine.ts';
import { buildPrompt, extractRewrite, promptParts, REWIRE_SYSTEM, REWIRE_TEMPLATE } from '../prompt.ts';

/** Settings of {@link openaiEngine}. */
export interface OpenAiEngineOptions {
  /** Server root, e.g. `http://127.0.0.1:8000` or `https://api.openai.com/v1` (a trailing `/v1` is not doubled). */
  baseUrl: string;
  modelName: string;
  /** Sent as `Authorization: Bearer …`; default: env `OPENAI_API_KEY` (none when unset). */
  apiKey?: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Retries of one request after a retryable failure (so up to maxRetries + 1 attempts). */
  maxRetries: number;
  /** Per-attempt timeout; default 120 000 ms. */
  timeoutMs?: number;
  /** First backoff delay; doubles per retry, capped by `maxBackoffMs`. Default 500 ms. */
  backoffMs?: number;
  /** Default 30 000 ms; also caps a server's `Retry-After`. */
  maxBackoffMs?: number;
  /** Sampling temperature sent with each request; default 0.7. */
  temperature?: number;
  /** `max_tokens` of each answer; default 2048. */
  maxTokens?: number;
  /** Sent as `seed` (servers that support it sample reproducibly). */
  seed?: number;
  /** User message template with one `{document}` slot; default {@link REWIRE_TEMPLATE}. */
  template?: string;
}

/** A request that failed after its retries (5xx, 429, timeouts, garbled answers); retrying the stage later may help. */
export class EndpointError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'EndpointError';
  }
}

/** A request the endpoint refused for good (a wrong key, an unknown model: other 4xx); retrying cannot help. */
export class EndpointRefusedError extends PermanentError {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'EndpointRefusedError';
  }
}

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});

/** `<baseUrl>/v1/chat/completions`, without doubling a `/v1` the base URL already ends with. */
export function chatCompletionsUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new StageInputError(`openai engine: baseUrl: not a URL: '${baseUrl}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new StageInputError(`openai engine: baseUrl: expected http(s), got '${baseUrl}'`);
  const root = url.href.replace(/\/+$/u, '');
  return root.endsWith('/v1') ? `${root}/chat/completions` : `${root}/v1/chat/completions`;
}

const RETRYABLE = (status: number): boolean => status === 429 || status >= 500;

/** Seconds or an HTTP date, as milliseconds from now; null when absent or unreadable. */
function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `task(i)` for i in [0, n) with at most `limit` running at once; rejects with the first failure. */
export async function pool(n: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < n) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

/** An engine that rewrites through an OpenAI-compatible endpoint. Throws {@link StageInputError} for bad settings. */
export function openaiEngine(opts: OpenAiEngineOptions): RewriteEngine {
  const url = chatCompletionsUrl(opts.baseUrl);
  if (opts.modelName.trim() === '') throw new StageInputError('openai engine: modelName: must not be empty');
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new StageInputError(`openai engine: concurrency: expected an integer >= 1, got ${opts.concurrency}`);
  if (!Number.isInteger(opts.maxRetries) || opts.maxRetries < 0) throw new StageInputError(`openai engine: maxRetries: expected an integer >= 0, got ${opts.maxRetries}`);
  const parts = promptParts(opts.template ?? REWIRE_TEMPLATE, 'openai engine: template');
  const apiKey = opts.apiKey ?? process.env['OPENAI_API_KEY'];
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const backoffMs = opts.backoffMs ?? 500;
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey !== undefined && apiKey !== '') headers['authorization'] = `Bearer ${apiKey}`;

  async function attempt(body: string, signal: AbortSignal | undefined): Promise<{ ok: true; content: string | null } | { ok: false; retryable: boolean; status: number | null; detail: string; waitMs: number | null }> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body, signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]) });
    } catch (err) {
      if (signal?.aborted === true) throw err;
      const detail = timeout.aborted ? `no answer within ${timeoutMs} ms` : `request failed: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`;
      return { ok: false, retryable: true, status: null, detail, waitMs: null };
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      if (signal?.aborted === true) throw err;
      return { ok: false, retryable: true, status: res.status, detail: timeout.aborted ? `answer not read within ${timeoutMs} ms` : 'answer body could not be read', waitMs: null };
    }
    if (!res.ok) {
      const detail = `answered ${res.status} ${res.statusText}: ${text.slice(0, 300)}`;
      return { ok: false, retryable: RETRYABLE(res.status), status: res.status, detail, waitMs: retryAfterMs(res.headers.get('retry-after')) };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new EndpointError(`POST ${url}: answer is not JSON: ${text.slice(0, 200)}`, res.status);
    }
    const parsed = completionSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new EndpointError(`POST ${url}: answer is not a chat completion: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`, res.status);
    }
    return { ok: true, content: parsed.data.choices[0]!.message.content };
  }

  async function complete(document: string, signal: AbortSignal | undefined): Promise<string | null> {
    const body = JSON.stringify({
      model: opts.modelName,
      messages: [
        { role: 'system', content: REWIRE_SYSTEM },
        { role: 'user', content: buildPrompt(parts, document) },
      ],
      temperature: opts.temperature ?? 0.7,
      max_tokens: opts.maxTokens ?? 2048,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    });
    for (let tries = 0; ; tries++) {
      const r = await attempt(body, signal);
      if (r.ok) return r.content === null ? null : extractRewrite(r.content);
      const attempts = tries + 1;
      if (!r.retryable) throw new EndpointRefusedError(`POST ${url} ${r.detail}`, r.status);
      if (tries >= opts.maxRetries) {
        throw new EndpointError(`POST ${url} ${r.detail} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`, r.status);
      }
      const backoff = Math.min(maxBackoffMs, backoffMs * 2 ** tries);
      await sleep(Math.min(maxBackoffMs, Math.max(backoff, r.waitMs ?? 0)), signal);
    }
  }

  return {
    name: 'openai',
    batchSize: opts.concurrency * 8,
    async rewrite(texts: readonly string[], ctx: RewriteCallContext = {}) {
      const out: Array<string | null> = texts.map(() => null);
      // The first failure cancels the requests still in flight.
      const failFast = new AbortController();
      const signal = ctx.signal === undefined ? failFast.signal : AbortSignal.any([ctx.signal, failFast.signal]);
      let done = 0;
      try {
        await pool(texts.length, opts.concurrency, async (i) => {
          out[i] = await complete(texts[i]!, signal);
          ctx.onProgress?.(++done);
        });
      } catch (err) {
        failFast.abort();
        throw err;
      }
      return out;
    },
  };
}
