/**
 * The `mixture` of a pretrain stage at compile time: DoReMi names its reference model (a role input, part of the
 * cache key) and is refused without one, naming the path and line; only DoReMi takes one; a `mix` stage cannot hand
 * DoReMi to pretrain; each method's defaults are its reference's and land in the plan.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyOverrides } from '../../../infra/service.ts';
import { compileRecipe, compileRecipeInput, parseRecipeText } from '../../../recipe/index.ts';
import { parseEvaluateMetric } from '../../../recipe/stages/evaluate-metrics.ts';
import { compileErrors } from './fixtures.ts';

const HEADER = `apiVersion: braise/v1
name: mixtures
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [a, b] }
stages:
`;
const recipe = (mixture: string, extra = '') => `${HEADER}  - id: ref
    kind: pretrain
    inputs: [web]
    with: { steps: 10, mixture: { method: stratified } }
  - id: proxy
    kind: pretrain
    inputs: [web]
    with:
      steps: 10
      mixture: ${mixture}
${extra}`;
const node = (mixture: string, id = 'proxy') => compileRecipe(parseRecipeText(recipe(mixture))).nodes.find((n) => n.id === id)!;

describe('pretrain mixtures at compile time', () => {
  it('doremi takes its reference model as an input of role reference, with the reference defaults', () => {
    const n = node('{ method: doremi, reference: ref }');
    expect(n.with.mixture).toEqual({ method: 'doremi', eta: 1, smoothing: 1e-3, updateEvery: 1, reference: 'ref' });
    expect(n.inputs).toContainEqual({ node: 'ref', port: 'model', kind: 'model', role: 'reference' });
    // Another reference, another cache key.
    const other = compileRecipe(
      parseRecipeText(recipe('{ method: doremi, reference: ref2 }', '  - id: ref2\n    kind: pretrain\n    inputs: [web]\n    with: { steps: 11, mixture: { method: stratified } }\n')),
    ).nodes.find((m) => m.id === 'proxy')!;
    expect(other.fingerprint).not.toBe(n.fingerprint);
  });

  it('refuses doremi without a reference model, naming the path and line', () => {
    const issues = compileErrors(recipe('{ method: doremi, eta: 1 }'));
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'stages[1].with.mixture.reference',
        message: expect.stringContaining('doremi scores each token against a reference model: name the stage that trains it'),
        line: 16, // the `mixture:` line (the key itself is missing)
      }),
    ]);
  });

  it('refuses a reference for another method, and a reference that is not a model', () => {
    expect(compileErrors(recipe('{ method: aioli, reference: ref }'))).toEqual([
      expect.objectContaining({ path: 'stages[1].with.mixture.reference', message: "only doremi takes a reference model; method is 'aioli'" }),
    ]);
    expect(compileErrors(recipe('{ method: doremi, reference: web }'))).toEqual([
      expect.objectContaining({ path: 'stages[1].with.mixture.reference', message: expect.stringContaining('"web" is a dataset') }),
    ]);
    expect(compileErrors(recipe('{ method: doremi, reference: nowhere }'))).toEqual([
      expect.objectContaining({ path: 'stages[1].with.mixture.reference', message: expect.stringContaining('unknown input "nowhere"') }),
    ]);
  });

  it('refuses a mix stage with doremi, pointing at the pretrain', () => {
    const text = `${HEADER}  - id: mixed
    kind: mix
    inputs: [web]
    with: { method: doremi }
  - id: base
    kind: pretrain
    inputs: [mixed]
`;
    expect(compileErrors(text)).toEqual([
      expect.objectContaining({ path: 'stages[0].with.method', message: expect.stringContaining('give the pretrain stage with.mixture: { method: doremi, reference: <stage> } instead') }),
    ]);
  });

  it('refuses an aioli round no longer than its LearnParams when the recipe says the domains', () => {
    // builtin:brown genres a and b: two domains, so LearnParams takes 2 × 1 × 5 = 10 steps.
    expect(compileErrors(recipe('{ method: aioli, updateEvery: 10 }'))).toEqual([
      expect.objectContaining({ path: 'stages[1].with.mixture.updateEvery', message: '10 must exceed domains × lpRounds × lpSteps = 2 × 1 × 5 = 10 (LearnParams), so each round also trains on the learned mixture' }),
    ]);
    expect(node('{ method: aioli, updateEvery: 11 }').with.mixture).toMatchObject({ updateEvery: 11, lpSteps: 5 });
  });

  it('skill-it and aioli carry their reference defaults: window 3; lpSteps 5, lpRounds 1, oneHotFactor 1', () => {
    expect(node('{ method: skill-it }').with.mixture).toEqual({ method: 'skill-it', eta: 1, updateEvery: 25, window: 3 });
    expect(node('{ method: aioli, lpSteps: 2 }').with.mixture).toEqual({ method: 'aioli', eta: 1, updateEvery: 25, lpRounds: 1, lpSteps: 2, oneHotFactor: 1 });
    expect(node('{ method: aioli }').fingerprint).toBe(node('{ method: aioli, lpSteps: 5 }').fingerprint);
    // Parameters another method ignores are dropped.
    expect(node('{ method: stratified, window: 4, smoothing: 0.1 }', 'proxy').with.mixture).toEqual({ method: 'stratified' });
  });
});

describe('recipes/nightly-ablation.yaml', () => {
  const text = readFileSync(new URL('../../../recipes/nightly-ablation.yaml', import.meta.url), 'utf8');
  const parsed = parseRecipeText(text, 'recipes/nightly-ablation.yaml');
  const { sweep, ...withoutSweep } = parsed;
  const path = 'stages.proxy.with.mixture';
  const cells = sweep!.matrix[path]!;
  // Until sweeps are accepted, each cell is the recipe less its sweep with the cell's values applied, as a run's `with` overrides are.
  const cell = (value: unknown) => compileRecipeInput(applyOverrides(withoutSweep, { [path]: value }));

  it('sweeps the mixture over stratified, DoReMi, Skill-It and Aioli, comparing an evaluate metric of its eval stage', () => {
    expect(Object.keys(sweep!.matrix)).toEqual([path]);
    expect(cells.map((c) => (c as { method: string }).method)).toEqual(['stratified', 'doremi', 'skill-it', 'aioli']);
    const [stage, ...metric] = sweep!.compare!.metric.split('/');
    expect(parsed.stages.find((s) => s.id === stage)?.kind).toBe('evaluate');
    expect(parseEvaluateMetric(metric.join('/'))).toMatchObject({ task: 'perplexity', metric: 'bits_per_byte', domain: 'mean' });
    expect(sweep!.compare!.goal).toBe('minimize');
  });

  it('every cell compiles, at the same token budget, with each method at its reference defaults', () => {
    const plans = cells.map(cell);
    const budget = (p: ReturnType<typeof cell>) => {
      const w = p.nodes.find((n) => n.id === 'proxy')!.with as { steps: number; batchSize: number };
      return w.steps * w.batchSize * (p.nodes.find((n) => n.id === 'proxy')!.context.model as { context: number }).context;
    };
    expect(new Set(plans.map(budget)).size).toBe(1);
    expect(plans.map((p) => p.nodes.find((n) => n.id === 'proxy')!.with.mixture)).toEqual([
      { method: 'stratified' },
      { method: 'doremi', eta: 1, smoothing: 1e-3, updateEvery: 1, reference: 'ref' },
      { method: 'skill-it', eta: 0.1, updateEvery: 25, window: 3 },
      { method: 'aioli', eta: 1, updateEvery: 25, lpRounds: 1, lpSteps: 5, oneHotFactor: 1 },
    ]);
    // DoReMi's reference is the stratified cell's own model: the same cache key, so it trains once.
    const stratified = plans[0]!;
    expect(stratified.nodes.find((n) => n.id === 'ref')!.fingerprint).toBe(stratified.nodes.find((n) => n.id === 'proxy')!.fingerprint);
    expect(plans[1]!.nodes.find((n) => n.id === 'proxy')!.inputs).toContainEqual({ node: 'ref', port: 'model', kind: 'model', role: 'reference' });
    // Four different proxies.
    expect(new Set(plans.map((p) => p.nodes.find((n) => n.id === 'proxy')!.fingerprint)).size).toBe(4);
  });
});
