import { describe, expect, it } from 'vitest';
import { parseRecipeText, parseRecipeValue, RecipeError } from '../../../recipe/index.ts';
import { VALID } from './fixtures.ts';

function errorsOf(text: string): RecipeError {
  try {
    parseRecipeText(text, 'r.yaml');
  } catch (err) {
    if (err instanceof RecipeError) return err;
    throw err;
  }
  throw new Error('expected the recipe to be rejected');
}

describe('recipe schema', () => {
  it('fills in defaults for omitted blocks', () => {
    const r = parseRecipeText(VALID);
    const base = r.stages.find((s) => s.id === 'base')!;
    expect(base.kind).toBe('pretrain');
    if (base.kind !== 'pretrain') throw new Error('narrowing');
    expect(base.with.weightDecay).toBe(0.1);
    expect(base.with.holdout).toBe(0.1);
    const ev = r.stages.find((s) => s.id === 'eval')!;
    expect(ev.with).toEqual({ tasks: ['perplexity'] });
    expect(r.onFailure).toBe('pause');
    expect(r.model.arch).toBe('gpt');
  });

  it('reports every error at once, each with its path and line', () => {
    const bad = VALID.replace('lr: 3e-3', 'lr: -1').replace('checkpointEvery: 10', 'checkpointEvery: 10, bogus: 1').replace('seed: 7', 'seed: seven');
    const err = errorsOf(bad);
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath)).toEqual(expect.arrayContaining(['seed', 'stages[1].with.lr', 'stages[1].with']));
    expect(byPath['stages[1].with.lr']!.line).toBe(15);
    expect(byPath['stages[1].with']!.message).toMatch(/unknown key "bogus"/);
    expect(byPath.seed!.line).toBe(3);
    expect(err.message).toContain('r.yaml');
  });

  it('names the stage kind problem for a typo in kind', () => {
    const err = errorsOf(VALID.replace('kind: filter', 'kind: filtr'));
    expect(err.issues[0]!.path).toBe('stages[0].kind');
  });

  it('types the with block of every kind (dpo beta must be > 0)', () => {
    const text = VALID + `  - id: pref\n    kind: dpo\n    inputs: [base]\n    with: { beta: 0 }\n`;
    const err = errorsOf(text);
    expect(err.issues.map((i) => i.path)).toContain('stages[3].with.beta');
  });

  it('rejects unknown top-level keys and a wrong apiVersion', () => {
    const err = errorsOf(VALID.replace('apiVersion: braise/v1', 'apiVersion: braise/v2\nextra: 1'));
    const paths = err.issues.map((i) => i.path);
    expect(paths).toContain('apiVersion');
    expect(err.issues.some((i) => /unknown key "extra"/.test(i.message))).toBe(true);
  });

  it('reports YAML syntax errors with their line', () => {
    const err = errorsOf('apiVersion: braise/v1\nname: [unclosed\n');
    expect(err.issues[0]!.message).toMatch(/^YAML/);
    expect(err.issues[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it('validates filter rule options through the rule schemas', () => {
    const err = errorsOf(VALID.replace('rules: [gopher-quality, gopher-repetition]', 'rules: [{ gopher-quality: { minDocWords: "many" } }]'));
    expect(err.issues[0]!.path).toMatch(/^stages\[0\]\.with\.rules\[0\]/);
    expect(err.issues[0]!.path).toContain('minDocWords');
  });

  it('accepts a JSON value (API bodies) through the same schema', () => {
    expect(() => parseRecipeValue({ apiVersion: 'braise/v1', name: 'x', datasets: {}, stages: [] })).toThrow(RecipeError);
  });
});
