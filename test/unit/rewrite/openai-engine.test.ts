import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chatCompletionsUrl, openaiEngine, type OpenAiEngineOptions } from '../../../activities/rewrite/engines/openai.ts';
import { REWIRE_SYSTEM } from '../../../activities/rewrite/prompt.ts';
import { PermanentError } from '../../../errors/permanent.ts';
import { startOpenAiServer, type OpenAiServer, type OpenAiServerOptions } from '../../support/openai-server.ts';
import { freshModelDir } from './model-dir.ts';

/* The openai engine against a loopback OpenAI-compatible server that samples from a fresh Braise model. */

const root = mkdtempSync(path.join(tmpdir(), 'braise-openai-'));
let modelDir: string;
const servers: OpenAiServer[] = [];
beforeAll(async () => {
  modelDir = await freshModelDir(root);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function serve(opts: Partial<OpenAiServerOptions> = {}): Promise<OpenAiServer> {
  const server = await startOpenAiServer({ modelDir, ...opts });
  servers.push(server);
  return server;
}

function engine(server: OpenAiServer, over: Partial<OpenAiEngineOptions> = {}) {
  return openaiEngine({ baseUrl: server.url, modelName: 'braise', concurrency: 2, maxRetries: 0, backoffMs: 5, maxTokens: 12, temperature: 1, seed: 3, ...over });
}

const docs = ['First document about rivers.', 'Second one, about bridges.', 'Third: roads.', 'Fourth.', 'Fifth and last document.'];

describe('openai engine against the loopback server', () => {
  it('sends the REWIRE chat request and maps answers to documents, deterministically', async () => {
    const server = await serve();
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toEqual(['braise']);

    const a = await engine(server).rewrite(docs);
    expect(a).toHaveLength(docs.length);
    expect(a.some((t) => t !== null)).toBe(true);
    expect(server.bodies).toHaveLength(docs.length);
    const bodies = server.bodies as Array<{ model: string; messages: Array<{ role: string; content: string }>; seed: number; max_tokens: number; temperature: number }>;
    for (const body of bodies) {
      expect(body).toMatchObject({ model: 'braise', seed: 3, max_tokens: 12, temperature: 1 });
      expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
      expect(body.messages[0]!.content).toBe(REWIRE_SYSTEM);
    }
    // Every document was sent once, inside the instruction.
    expect(docs.map((d) => bodies.filter((b) => b.messages[1]!.content.includes(`\n${d}\n`)).length)).toEqual(docs.map(() => 1));

    expect(await engine(server, { concurrency: 4 }).rewrite(docs)).toEqual(a);
    expect(await engine(server, { seed: 4 }).rewrite(docs)).not.toEqual(a);
  });

  it('never has more than `concurrency` requests in flight, and uses all of them', async () => {
    const server = await serve({ delayMs: 60 });
    const progress: number[] = [];
    await engine(server, { concurrency: 3 }).rewrite([...docs, 'six', 'seven'], { onProgress: (n) => progress.push(n) });
    expect(server.stats.maxInFlight).toBe(3);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const serial = await serve({ delayMs: 20 });
    await engine(serial, { concurrency: 1 }).rewrite(docs.slice(0, 3));
    expect(serial.stats.maxInFlight).toBe(1);
  });

  it('retries an injected 503 (and a 429 with Retry-After) and then gives the same answers', async () => {
    const clean = await engine(await serve(), { concurrency: 1 }).rewrite(docs.slice(0, 3));
    const flaky = await serve({ failFirst: { count: 2, status: 503 } });
    expect(await engine(flaky, { concurrency: 1, maxRetries: 3 }).rewrite(docs.slice(0, 3))).toEqual(clean);
    expect(flaky.stats).toMatchObject({ injectedFailures: 2, chatRequests: 5 });
    const limited = await serve({ failFirst: { count: 1, status: 429, retryAfterS: 0 } });
    expect(await engine(limited, { concurrency: 1, maxRetries: 1 }).rewrite(docs.slice(0, 3))).toEqual(clean);
    expect(limited.stats.chatRequests).toBe(4);
  });

  it('gives up after maxRetries with an error naming the URL and the status', async () => {
    const server = await serve({ failFirst: { count: 100, status: 503 } });
    const err = await engine(server, { concurrency: 1, maxRetries: 2 }).rewrite(['x']).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'EndpointError', status: 503 });
    expect(err).not.toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain(`POST ${server.url}/v1/chat/completions answered 503 Service Unavailable`);
    expect((err as Error).message).toContain('(gave up after 3 attempts)');
    expect(server.stats.chatRequests).toBe(3);
  });

  it('fails at once, permanently, on a wrong API key or model name', async () => {
    const server = await serve({ apiKey: 'sekret' });
    const denied = await engine(server, { apiKey: 'wrong', maxRetries: 5 }).rewrite(['x']).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(PermanentError);
    expect(denied).toMatchObject({ name: 'EndpointRefusedError', status: 401, message: expect.stringContaining(`POST ${server.url}/v1/chat/completions answered 401`) });
    const unknown = await engine(server, { apiKey: 'sekret', modelName: 'gpt-9', maxRetries: 5 }).rewrite(['x']).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(PermanentError);
    expect(unknown).toMatchObject({ name: 'EndpointRefusedError', status: 404, message: expect.stringContaining("The model 'gpt-9' does not exist") });
    expect(server.stats.injectedFailures).toBe(0);
    expect(server.bodies).toHaveLength(1); // the 401 never reached the chat handler
    const saved = process.env['OPENAI_API_KEY'];
    process.env['OPENAI_API_KEY'] = 'sekret';
    try {
      expect(await engine(server).rewrite(['x'])).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env['OPENAI_API_KEY'];
      else process.env['OPENAI_API_KEY'] = saved;
    }
  });

  it('times out slow answers and retries them', async () => {
    const server = await serve({ delayMs: 400 });
    const err = await engine(server, { timeoutMs: 100, maxRetries: 1 }).rewrite(['x']).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`POST ${server.url}/v1/chat/completions no answer within 100 ms (gave up after 2 attempts)`);
  });

  it('names the URL when nothing listens there', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    const err = await openaiEngine({ baseUrl: `http://127.0.0.1:${port}`, modelName: 'm', concurrency: 1, maxRetries: 1, backoffMs: 1 }).rewrite(['x']).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(new RegExp(`^POST http://127\\.0\\.0\\.1:${port}/v1/chat/completions request failed: .*ECONNREFUSED.* \\(gave up after 2 attempts\\)$`));
  });
});

describe('openai engine settings', () => {
  it('builds the endpoint URL without doubling /v1', () => {
    expect(chatCompletionsUrl('http://h:8000')).toBe('http://h:8000/v1/chat/completions');
    expect(chatCompletionsUrl('http://h:8000/')).toBe('http://h:8000/v1/chat/completions');
    expect(chatCompletionsUrl('https://api.openai.com/v1')).toBe('https://api.openai.com/v1/chat/completions');
    expect(chatCompletionsUrl('http://h/proxy/v1/')).toBe('http://h/proxy/v1/chat/completions');
  });

  it('rejects bad settings permanently, naming the field', () => {
    const base = { baseUrl: 'http://h', modelName: 'm', concurrency: 1, maxRetries: 0 };
    expect(() => openaiEngine({ ...base, baseUrl: 'not a url' })).toThrow("openai engine: baseUrl: not a URL: 'not a url'");
    expect(() => openaiEngine({ ...base, baseUrl: 'ftp://h' })).toThrow('expected http(s)');
    expect(() => openaiEngine({ ...base, modelName: ' ' })).toThrow('openai engine: modelName: must not be empty');
    expect(() => openaiEngine({ ...base, concurrency: 0 })).toThrow('openai engine: concurrency');
  });
});
