import { describe, expect, it } from 'vitest';
import { compileRecipe, parseRecipeText, resolveFileSources } from '../../../recipe/index.ts';
import { compileErrors, VALID } from './fixtures.ts';

describe('compiler', () => {
  it('orders nodes topologically, datasets first, and wires default ports', () => {
    const plan = compileRecipe(parseRecipeText(VALID));
    expect(plan.nodes.map((n) => n.id)).toEqual(['web', 'clean', 'base', 'eval']);
    const clean = plan.nodes[1]!;
    expect(clean.inputs).toEqual([{ node: 'web', port: 'data', kind: 'dataset' }]);
    expect(plan.nodes[2]!.inputs).toEqual([{ node: 'clean', port: 'kept', kind: 'dataset' }]);
    // evaluate of a pretrained model scores its held-out split
    expect(plan.nodes[3]!.inputs).toEqual([
      { node: 'base', port: 'model', kind: 'model' },
      { node: 'base', port: 'heldout', kind: 'dataset' },
    ]);
    expect(plan.nodes[2]!.queue).toBe('braise-gpu');
    expect(plan.nodes[1]!.queue).toBe('braise-cpu');
    expect(plan.nodes[2]!.timeouts.heartbeatMs).toBe(60_000);
  });

  it('orders by dependency even when the file lists a consumer first', () => {
    const text = VALID.replace(/stages:\n[\s\S]*$/, `stages:
  - id: eval
    kind: evaluate
    inputs: [base]
  - id: base
    kind: pretrain
    inputs: [web]
`);
    expect(compileRecipe(parseRecipeText(text)).nodes.map((n) => n.id)).toEqual(['web', 'base', 'eval']);
  });

  it('gives stable fingerprints that change with settings', () => {
    const a = compileRecipe(parseRecipeText(VALID));
    const b = compileRecipe(parseRecipeText(VALID));
    expect(a.nodes.map((n) => n.fingerprint)).toEqual(b.nodes.map((n) => n.fingerprint));
    const c = compileRecipe(parseRecipeText(VALID.replace('steps: 20', 'steps: 21')));
    expect(c.nodes[2]!.fingerprint).not.toBe(a.nodes[2]!.fingerprint);
    expect(c.nodes[1]!.fingerprint).toBe(a.nodes[1]!.fingerprint);
    // key order in the YAML does not matter
    const d = compileRecipe(parseRecipeText(VALID.replace('{ steps: 20, batchSize: 4,', '{ batchSize: 4, steps: 20,')));
    expect(d.nodes[2]!.fingerprint).toBe(a.nodes[2]!.fingerprint);
  });

  it('reports unknown inputs, bad ports, wrong artifact kinds and duplicates together', () => {
    const text = VALID.replace('inputs: [clean]', 'inputs: [clean.nope]').replace('inputs: [web]', 'inputs: [webb]') + `  - id: eval\n    kind: evaluate\n    inputs: [base]\n`;
    const issues = compileErrors(text);
    const msgs = issues.map((i) => `${i.path}: ${i.message}`);
    expect(msgs.some((m) => m.startsWith('stages[0].inputs[0]: unknown input "webb"'))).toBe(true);
    expect(msgs.some((m) => m.startsWith('stages[1].inputs[0]: stage "clean" (filter) has no port "nope"'))).toBe(true);
    expect(msgs.some((m) => m.startsWith('stages[3].id: duplicate stage id "eval"'))).toBe(true);
  });

  it('rejects a model where data is expected', () => {
    const text = VALID + `  - id: again\n    kind: filter\n    inputs: [base]\n`;
    expect(compileErrors(text)[0]!.message).toMatch(/"base" is a model; filter accepts dataset/);
  });

  it('detects cycles', () => {
    const text = VALID.replace(/stages:\n[\s\S]*$/, `stages:
  - id: a
    kind: filter
    inputs: [b]
  - id: b
    kind: filter
    inputs: [a]
`);
    const issues = compileErrors(text);
    expect(issues.map((i) => i.path)).toEqual(['stages[0].inputs', 'stages[1].inputs']);
    expect(issues[0]!.message).toMatch(/cycle/);
  });

  it('resolves file: sources against the recipe directory', () => {
    const r = parseRecipeText(VALID.replace('{ source: builtin:brown, genres: [a, b] }', '{ source: "file:data/x.jsonl" }'));
    const resolved = resolveFileSources(r, '/recipes');
    expect(resolved.datasets.web!.source).toBe('file:/recipes/data/x.jsonl');
  });
});

describe('compiler: references in with blocks', () => {
  const withRefs = VALID.replace(
    'with: { rules: [gopher-quality, gopher-repetition] }',
    'with: { rules: [gopher-quality], decontaminate: { against: [evalset] }, classifier: { high: [web], low: [spam] } }',
  ).replace('datasets:\n', 'datasets:\n  evalset: { source: "builtin:brown", genres: [r] }\n  spam: { source: "builtin:brown", genres: [m] }\n');

  it('turns them into inputs with roles, so they are part of the cache key and the DAG', () => {
    const plan = compileRecipe(parseRecipeText(withRefs));
    const clean = plan.nodes.find((n) => n.id === 'clean')!;
    expect(clean.inputs).toEqual([
      { node: 'web', port: 'data', kind: 'dataset' },
      { node: 'evalset', port: 'data', kind: 'dataset', role: 'eval' },
      { node: 'web', port: 'data', kind: 'dataset', role: 'high' },
      { node: 'spam', port: 'data', kind: 'dataset', role: 'low' },
    ]);
  });

  it('names the with-block path of a bad reference', () => {
    const issues = compileErrors(withRefs.replace('against: [evalset]', 'against: [nope]'));
    expect(issues[0]!.path).toBe('stages[0].with.decontaminate.against[0]');
    expect(issues[0]!.message).toMatch(/unknown input "nope"/);
  });
});
