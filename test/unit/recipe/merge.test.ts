/**
 * The `merge` stage at compile time: a base is a reference to a model (an input of role `base`, in the DAG
 * and the cache key), each method takes only its own parameters with mergekit's defaults filled in, and
 * every mistake (a base that is not a model, a base missing or also among inputs, another method's
 * parameter, weights naming no input, slerp without exactly two models) is refused with its path and line.
 */
import { describe, expect, it } from 'vitest';
import { compileRecipe, parseRecipeText } from '../../../recipe/index.ts';
import { compileErrors as issuesOf, VALID } from './fixtures.ts';

/** VALID plus a second pretrain stage, `other`, and a merge stage with the given lines (line 26 is its `with`). */
function withMerge(inputs: string, withBlock: string): string {
  return `${VALID}  - id: other
    kind: pretrain
    inputs: [clean]
    with: { steps: 10, batchSize: 4 }
  - id: merged
    kind: merge
    inputs: ${inputs}
    with: ${withBlock}
`;
}

describe('merge: compiling', () => {
  it('makes the base an input of role base, after the merged models, and fills the method defaults', () => {
    const plan = compileRecipe(parseRecipeText(withMerge('[other, base.model]', '{ method: ties, base: clean-base, density: 0.5 }').replace('  - id: base\n', '  - id: clean-base\n    kind: pretrain\n    inputs: [clean]\n  - id: base\n')));
    const node = plan.nodes.find((n) => n.id === 'merged')!;
    expect(node.inputs).toEqual([
      { node: 'other', port: 'model', kind: 'model' },
      { node: 'base', port: 'model', kind: 'model' },
      { node: 'clean-base', port: 'model', kind: 'model', role: 'base' },
    ]);
    expect(node.with).toEqual({ method: 'ties', base: 'clean-base', weights: {}, density: 0.5, lambda: 1, normalize: true });
    expect(node.queue).toBe('braise-cpu');
  });

  it('fills each method its own defaults (mergekit 0.1.5) and nothing else', () => {
    const node = (w: string, inputs = '[base, other]') => compileRecipe(parseRecipeText(withMerge(inputs, w))).nodes.find((n) => n.id === 'merged')!.with;
    expect(node('{ method: linear, weights: { base: 2 } }')).toEqual({ method: 'linear', weights: { base: 2 }, normalize: true });
    expect(node('{ method: slerp }')).toEqual({ method: 'slerp', t: 0.5 });
    expect(node('{ method: task-arithmetic, base: base, lambda: 0.5 }', '[other]')).toEqual({ method: 'task-arithmetic', base: 'base', weights: {}, lambda: 0.5, normalize: false });
    expect(node('{ method: dare, base: base, density: 0.3, signConsensus: true }', '[other]')).toEqual({
      method: 'dare', base: 'base', weights: {}, density: 0.3, rescale: true, signConsensus: true, lambda: 1, normalize: false,
    });
  });

  it('the base is part of the fingerprint: another base is another merge', () => {
    const fp = (base: string) => compileRecipe(parseRecipeText(withMerge('[other]', `{ method: task-arithmetic, base: ${base} }`).replace('  - id: base\n', '  - id: base2\n    kind: pretrain\n    inputs: [clean]\n  - id: base\n'))).nodes.find((n) => n.id === 'merged')!.fingerprint;
    expect(fp('base')).not.toBe(fp('base2'));
  });
});

describe('merge: refusals, with path and line', () => {
  const line = 26; // the merge stage's `with:` line
  it.each([
    ['a base that is no stage', '[other]', '{ method: ties, base: nosuch }', 'stages[4].with.base', /^unknown input "nosuch"/],
    ['a base that is a dataset', '[other]', '{ method: ties, base: web }', 'stages[4].with.base', /"web" is a dataset; expected model/],
    ['a base that is also an input', '[other, base]', '{ method: ties, base: base }', 'stages[4].with.base', /the base "base" is also in inputs/],
    ['a method that needs a base without one', '[other, base]', '{ method: task-arithmetic }', 'stages[4].with.method', /task-arithmetic merges task vectors from a base model: name it in with.base/],
    ["another method's parameter", '[other]', '{ method: ties, base: base, t: 0.3 }', 'stages[4].with.t', /^"t" is not a parameter of ties \(it belongs to slerp\); ties takes base, weights, density, lambda, normalize$/],
    ['a base for linear', '[other, base]', '{ method: linear, base: base }', 'stages[4].with.base', /^"base" is not a parameter of linear/],
    ['weights naming no input', '[other, base]', '{ weights: { othr: 2 } }', 'stages[4].with.weights.othr', /"othr" is not one of this stage's inputs \(other, base\)/],
    ['slerp of one model', '[other]', '{ method: slerp, t: 0.2 }', 'stages[4].with.method', /slerp interpolates between exactly two models \(inputs lists 1\)/],
    ['weights that sum to 0 in a normalized linear merge', '[other, base]', '{ weights: { other: 1, base: -1 } }', 'stages[4].with.weights', /the weights sum to 0/],
    ['a density out of range', '[other]', '{ method: ties, base: base, density: 1.5 }', 'stages[4].with.density', /1/],
    ['an unknown key', '[other]', '{ method: ties, base: base, densty: 0.5 }', 'stages[4].with', /unknown key "densty" \(did you mean "density"\?\)/],
  ])('%s', (_name, inputs, w, path, message) => {
    const issues = issuesOf(withMerge(inputs, w));
    expect(issues).toEqual([expect.objectContaining({ path, message: expect.stringMatching(message) })]);
    expect(issues[0]!.line).toBe(line);
  });
});
