/**
 * Hostile and statically wrong recipes through the HTTP API: each is a 422 naming the fault (with its line for
 * YAML) within a second, never a 500 or a dropped connection, and no run is created. Warnings come back
 * from validate and from starting a run.
 */
import { describe, expect, it } from 'vitest';
import { REFUSALS } from '../recipe/refusals.ts';
import { errorOf, RECIPE_JSON, RECIPE_YAML, setup } from './fakes.ts';

const yaml = { 'content-type': 'application/yaml' };
const json = { 'content-type': 'application/json' };

async function rejected(path: string, headers: Record<string, string>, body: string) {
  const { call, service, logger } = setup();
  const t0 = performance.now();
  const res = await call(path, { method: 'POST', headers, body });
  expect(performance.now() - t0, 'answered within a second').toBeLessThan(1000);
  expect(res.status).toBe(422);
  expect(service.runs.size, 'no run was created').toBe(0);
  expect(logger.errors).toEqual([]);
  return errorOf(res);
}

const aliasBomb = ['apiVersion: braise/v1', 'name: bomb', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
for (const [prev, next] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g']]) aliasBomb.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);

describe.each(['/v1/recipes/validate', '/v1/runs'])('hostile recipes: POST %s', (path) => {
  it('a YAML alias bomb is a 422 with its line', async () => {
    const err = await rejected(path, yaml, `${aliasBomb.join('\n')}\n`);
    expect(err.details[0]!.message).toMatch(/^line 4: YAML: aliases expand to too large a document/);
  });

  it('a 10,000-deep JSON body is a 422, not a stack overflow', async () => {
    const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
    const err = await rejected(path, json, `{"apiVersion":"braise/v1","name":"deep","sweep":{"matrix":{"seed":${deep}}}}`);
    expect(err.details[0]!.message).toMatch(/nested deeper than 32 levels/);
  });

  it('10,000-deep YAML is a 422 with its line', async () => {
    const err = await rejected(path, yaml, `apiVersion: braise/v1\nname: deep\nsweep: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`);
    expect(err.details[0]).toMatchObject({ path: '', message: expect.stringMatching(/^line 3: YAML: nested deeper/) });
  });

  it('NUL in a stage id and in a with-string are 422s naming the paths', async () => {
    const body = { ...RECIPE_JSON, stages: [{ ...RECIPE_JSON.stages[0]!, id: 'ba\u0000se', with: { ...RECIPE_JSON.stages[0]!.with, backend: 'c\u0000pu' } }] };
    const err = await rejected(path, json, JSON.stringify(body));
    expect(err.details.map((d) => d.path)).toEqual(['stages[0].id', 'stages[0].with.backend']);
    expect(err.details[0]!.message).toMatch(/NUL character/);
  });

  it('5,000 stages are a 422 naming the limit', async () => {
    const stages = Array.from({ length: 5000 }, (_, i) => ({ id: `s${i}`, kind: 'filter', inputs: ['web'] }));
    const err = await rejected(path, json, JSON.stringify({ ...RECIPE_JSON, stages }));
    expect(err.details[0]).toEqual({ path: 'stages', message: '5000 stages exceed the limit of 500' });
  });

  it('statically wrong recipes are 422s with lines: unknown builtin, bad artifact id, .txt file, zero timeout, unknown queue', async () => {
    const bad = RECIPE_YAML.replace('{ source: builtin:brown, genres: [a, b] }', '{ source: builtin:brwn }')
      .replace('datasets:\n', `datasets:\n  art: { source: "artifact:XYZ" }\n  txt: { source: "file:notes.txt" }\n`)
      .replace('    inputs: [web]\n', '    inputs: [web, art, txt]\n    queue: braise-tpu\n    timeouts: { startToClose: 0s }\n');
    const err = await rejected(path, yaml, bad);
    expect(err.details.map((d) => [d.path, d.message.slice(0, 8)])).toEqual([
      ['datasets.art.source', 'line 6: '],
      ['datasets.txt.source', 'line 7: '],
      ['datasets.web.source', 'line 8: '],
      ['stages[0].queue', 'line 13:'],
      ['stages[0].timeouts.startToClose', 'line 14:'],
    ]);
  });

  it.each(REFUSALS)('$name is a 422 naming the path and line', async ({ text, path: at, line, message }) => {
    const err = await rejected(path, yaml, text);
    expect(err.code).toBe('invalid_recipe');
    expect(err.details).toEqual([{ path: at, message: `line ${line}: ${message}` }]);
  });

  it('the largest model the schema allows is a 422 naming the estimate', async () => {
    const big = RECIPE_YAML.replace('{ layers: 1, dModel: 32, heads: 2, context: 32 }', '{ layers: 48, dModel: 4096, heads: 64, context: 4096 }').replace('batchSize: 4,', 'batchSize: 4096,');
    const err = await rejected(path, yaml, big);
    expect(err.details[0]!.message).toMatch(/^line 11: estimated training memory [\d.]+ PiB exceeds the worker's [\d.]+ GiB \(BRAISE_WORKER_MEMORY\)/);
  });

  it('a bad filter rule lists the allowed rules', async () => {
    const text = RECIPE_YAML.replace('    kind: pretrain\n', '    kind: filter\n    with: { rules: [nonsense] }\n').replace('    with: { steps: 20, batchSize: 4, lr: 3e-3, checkpointEvery: 10 }\n', '');
    const err = await rejected(path, yaml, text);
    expect(err.details[0]!.message).toMatch(/unknown value "nonsense": expected one of "gopher-quality", "gopher-repetition", "c4", "fineweb"/);
  });
});

describe('warnings', () => {
  const unused = RECIPE_YAML.replace('datasets:\n', 'datasets:\n  spare: { source: builtin:spam-assassin }\n');

  it('POST /v1/recipes/validate answers an unused dataset as a warning, and plans no ingest for it', async () => {
    const { call } = setup();
    const res = await call('/v1/recipes/validate', { method: 'POST', headers: yaml, body: unused });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { plan: { nodes: Array<{ id: string }> }; warnings: Array<{ path: string; message: string; line: number }> };
    expect(body.warnings).toEqual([expect.objectContaining({ path: 'datasets.spare', line: 6, message: 'dataset "spare" is not used by any stage: it will not be ingested' })]);
    expect(body.plan.nodes.map((n) => n.id)).toEqual(['web', 'base']);
  });

  it('POST /v1/runs returns them with the started run', async () => {
    const { call } = setup();
    const res = await call('/v1/runs', { method: 'POST', headers: yaml, body: unused });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { warnings: Array<{ path: string }> }).warnings).toEqual([expect.objectContaining({ path: 'datasets.spare' })]);
  });
});
