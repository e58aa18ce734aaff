import { describe, expect, it } from 'vitest';
import { errorOf, RECIPE_JSON, RECIPE_YAML, setup } from './fakes.ts';

interface PlanJson {
  plan: { apiVersion: string; name: string; recipeHash: string; nodes: Array<{ id: string; kind: string }> };
}

describe('POST /v1/recipes/validate', () => {
  it('answers the compiled plan for a YAML recipe', async () => {
    const { call } = setup();
    const res = await call('/v1/recipes/validate', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: RECIPE_YAML });
    expect(res.status).toBe(200);
    const { plan } = (await res.json()) as PlanJson;
    expect(plan.name).toBe('tiny');
    expect(plan.nodes.map((n) => [n.id, n.kind])).toEqual([
      ['web', 'ingest'],
      ['base', 'pretrain'],
    ]);
  });

  it('compiles the same plan from the JSON form of the recipe', async () => {
    const { call } = setup();
    const fromYaml = (await (await call('/v1/recipes/validate', { method: 'POST', headers: { 'content-type': 'text/yaml' }, body: RECIPE_YAML })).json()) as PlanJson;
    const res = await call('/v1/recipes/validate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(RECIPE_JSON) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as PlanJson).plan.recipeHash).toBe(fromYaml.plan.recipeHash);
  });

  it('takes a JSON string body as the recipe\'s YAML text, with line numbers in errors', async () => {
    const { call } = setup();
    const ok = await call('/v1/recipes/validate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(RECIPE_YAML) });
    expect(ok.status).toBe(200);
    const bad = await call('/v1/recipes/validate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(RECIPE_YAML.replace('seed: 7', 'seed: seven')) });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details).toEqual([expect.objectContaining({ path: 'seed', message: expect.stringMatching(/^line 3: /) })]);
  });

  it('answers 422 listing every error with its path and line', async () => {
    const { call } = setup();
    const bad = RECIPE_YAML.replace('seed: 7', 'seed: seven').replace('inputs: [web]', 'inputs: [nowhere]');
    const res = await call('/v1/recipes/validate', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: bad });
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.code).toBe('invalid_recipe');
    const seed = err.details.find((d) => d.path === 'seed');
    expect(seed, JSON.stringify(err.details)).toBeDefined();
    expect(seed!.message).toMatch(/^line 3: /);
    expect(err.message).toMatch(/invalid recipe \(\d+ errors?\)/);
  });

  it('answers 422 for an unknown key in a JSON recipe, by path', async () => {
    const { call } = setup();
    const res = await call('/v1/recipes/validate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...RECIPE_JSON, colour: 'red' }) });
    expect(res.status).toBe(422);
    const err = await errorOf(res);
    expect(err.details).toHaveLength(1);
    expect(err.details[0]!.message).toContain('colour');
  });

  it('answers 422 invalid_request for a JSON body that is not an object', async () => {
    const { call } = setup();
    const res = await call('/v1/recipes/validate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2]' });
    expect(res.status).toBe(422);
    expect(await errorOf(res)).toMatchObject({ code: 'invalid_request', details: [{ path: 'body' }] });
  });
});
