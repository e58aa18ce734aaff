/**
 * The run service's validation path: recipes compiled on a worker thread (the API server's event loop stays
 * free), `artifact:` sources checked against the store, this deployment's worker memory and queues applied.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../service/contract.ts';
import { ArtifactStore } from '../../../datasets/artifact-store.ts';
import { loadConfig } from '../../../infra/config.ts';
import { threadCompiler } from '../../../infra/recipe-worker/client.ts';
import type { BraiseRuntime } from '../../../infra/runtime.ts';
import { createRunService } from '../../../infra/service.ts';
import { RecipeError } from '../../../recipe/index.ts';

const demo = () => readFile(new URL('../../../recipes/demo.yaml', import.meta.url), 'utf8');

describe('threadCompiler', () => {
  const compiler = threadCompiler({ timeoutMs: 20_000 });
  afterAll(() => compiler.close());

  it('compiles on a worker thread, and errors come back as RecipeErrors with lines', async () => {
    const { plan } = await compiler.compile(await demo(), {});
    expect(plan.nodes.map((n) => n.id)).toEqual(['web', 'clean', 'base', 'eval']);
    const err = await compiler.compile((await demo()).replace('builtin:brown', 'builtin:brwn'), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecipeError);
    expect((err as RecipeError).issues[0]).toMatchObject({ path: 'datasets.web.source', line: 9 });
  });

  it('keeps the event loop free while it parses the largest recipe the limits allow', async () => {
    await compiler.compile(await demo(), {}); // the thread is up
    const stages = Array.from({ length: 500 }, (_, i) => `  - { id: s${i}, kind: filter, inputs: [${i === 0 ? 'web' : `s${i - 1}`}], with: { rules: [c4] } }`);
    const text = `apiVersion: braise/v1\nname: wide\ndatasets: { web: { source: builtin:brown } }\nstages:\n${stages.join('\n')}\n`;
    let worst = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 5);
    const { plan } = await compiler.compile(text, {});
    clearInterval(tick);
    expect(plan.nodes).toHaveLength(501);
    expect(worst).toBeLessThan(200); // the same parse in-process blocks for 0.3 s to 1.5 s here
  });

  it('refuses a deep parsed value before posting it (structured cloning would recurse)', async () => {
    let v: unknown = 1;
    for (let i = 0; i < 10_000; i++) v = [v];
    const err = await compiler.compile({ apiVersion: 'braise/v1', sweep: v }, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecipeError);
  });

  it('refuses a recipe that takes longer than its deadline, and recovers', async () => {
    const slow = threadCompiler({ timeoutMs: 1 });
    const err = await slow.compile(await demo(), {}).catch((e: unknown) => e);
    expect((err as RecipeError).issues[0]!.message).toMatch(/took longer than/);
    await slow.close();
  });
});

describe('run service validation', () => {
  let dir: string;
  let store: ArtifactStore;
  let service: ReturnType<typeof createRunService>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'braise-validate-'));
    store = new ArtifactStore(join(dir, 'artifacts'));
    const config = loadConfig({ BRAISE_HOME: dir, BRAISE_WORKER_MEMORY: '2GiB', BRAISE_QUEUES: 'braise-gpu-a100' }, dir);
    // validate() needs only the config and the store.
    const rt = { config, store } as unknown as BraiseRuntime;
    service = createRunService(rt);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const invalid = async (recipe: string) => {
    const err = await service.validate(recipe).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).issues;
  };

  it('refuses an artifact: source that is not in the store, or is not a dataset, with the line', async () => {
    const missing = 'a'.repeat(64);
    const text = (await demo()).replace('{ source: builtin:brown, genres: [a, b, f, g] }', `{ source: "artifact:${missing}" }`);
    expect(await invalid(text)).toEqual([expect.objectContaining({ path: 'datasets.web.source', line: 9, message: expect.stringMatching(/^no artifact a{64} in the artifact store/) })]);
    const report = await store.putJson('report', { x: 1 });
    expect((await invalid(text.replace(missing, report.id)))[0]!.message).toBe(`artifact ${report.id} is a report, not a dataset`);
  });

  it("applies the deployment's worker memory and queues", async () => {
    const big = (await demo()).replace('{ arch: gpt, layers: 2, dModel: 128, heads: 4, context: 128, tokenizer: byte }', '{ layers: 12, dModel: 768, heads: 12, context: 1024 }');
    expect((await invalid(big))[0]!.message).toMatch(/exceeds the worker's 2\.0 GiB \(BRAISE_WORKER_MEMORY\)/);
    const queued = (await demo()).replace('    kind: pretrain\n', '    kind: pretrain\n    queue: braise-gpu-a100\n');
    expect((await service.validate(queued)).nodes.find((n) => n.id === 'base')!.queue).toBe('braise-gpu-a100');
  });
});

describe('configuration', () => {
  it('reads BRAISE_WORKER_MEMORY and BRAISE_QUEUES, refusing bad values by name', () => {
    expect(loadConfig({ BRAISE_WORKER_MEMORY: '8GiB', BRAISE_QUEUES: 'braise-a, braise-b' })).toMatchObject({ workerMemoryBytes: 8 * 1024 ** 3, extraQueues: ['braise-a', 'braise-b'] });
    expect(loadConfig({}).workerMemoryBytes).toBeGreaterThan(0);
    expect(() => loadConfig({ BRAISE_WORKER_MEMORY: 'lots' })).toThrow(/BRAISE_WORKER_MEMORY: expected a size/);
    expect(() => loadConfig({ BRAISE_QUEUES: 'gpu' })).toThrow(/BRAISE_QUEUES: .*got "gpu"/);
  });
});
