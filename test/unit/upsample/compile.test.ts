/**
 * The `upsample` stage at compile time: it continues one pretrain stage, from a step that pretrain checkpoints
 * (round((1 − fraction) · steps), a multiple of its checkpointEvery), with a strict `domains` block; every mistake
 * is refused with its path and line before anything runs.
 */
import { describe, expect, it } from 'vitest';
import { compileRecipe, parseRecipeText } from '../../../recipe/index.ts';
import { upsampleStartStep } from '../../../recipe/stages/upsample.ts';
import { compileErrors, VALID } from '../recipe/fixtures.ts';

/** VALID (pretrain `base`: 20 steps, checkpointEvery 10) plus an upsample stage; line 22 is its `with`. */
function withUpsample(inputs: string, withBlock: string): string {
  return `${VALID}  - id: up
    kind: upsample
    inputs: ${inputs}
    with: ${withBlock}
`;
}

describe('upsample: compiling', () => {
  it('compiles with its defaults filled, the pretrain model as its one input, on the gpu queue', () => {
    const plan = compileRecipe(parseRecipeText(withUpsample('[base]', '{ fraction: 0.5, domains: { news: 3, editorial: 0 } }')));
    const node = plan.nodes.find((n) => n.id === 'up')!;
    expect(node.inputs).toEqual([{ node: 'base', port: 'model', kind: 'model' }]);
    expect(node.with).toEqual({ fraction: 0.5, domains: { news: 3, editorial: 0 }, checkpointEvery: 50, backend: 'auto' });
    expect(node.queue).toBe('braise-gpu');
    expect(upsampleStartStep(20, 0.5)).toBe(10);
    expect(upsampleStartStep(300, 0.1)).toBe(270);
  });

  it('another mixture is another stage: domains are in the fingerprint', () => {
    const fp = (w: string) => compileRecipe(parseRecipeText(withUpsample('[base]', w))).nodes.find((n) => n.id === 'up')!.fingerprint;
    expect(fp('{ fraction: 0.5, domains: { news: 0 } }')).not.toBe(fp('{ fraction: 0.5, domains: { news: 2 } }'));
  });
});

describe('upsample: refusals, with path and line', () => {
  const line = 22;
  it.each([
    ['a start step the pretrain did not checkpoint', '[base]', '{ fraction: 0.25 }', 'stages[3].with.fraction', /step round\(\(1 − 0\.25\) · 20\) = 15, but "base" checkpoints every 10 steps: choose a fraction that lands on a checkpoint \(0\.5, 1\) or set base's checkpointEvery to divide 15$/],
    ['a fraction that rounds to no step', '[base]', '{ fraction: 0.01 }', 'stages[3].with.fraction', /0\.01 of pretrain "base"'s 20 steps rounds to no step/],
    ['an input that is not a pretrain', '[eval]', '{ fraction: 0.5 }', 'stages[3].inputs[0]', /"eval" is a (report; upsample accepts model there|stage of kind evaluate)/],
    ['a dataset as its input', '[web]', '{ fraction: 0.5 }', 'stages[3].inputs[0]', /"web" is a dataset; expected model/],
    ['two inputs', '[base, base]', '{ fraction: 0.5 }', 'stages[3].inputs', /give exactly one input \(its inputs are 2\)/],
    ['the old weights key', '[base]', '{ weights: { news: 2 } }', 'stages[3].with', /weights/],
    ['steps, which come from the pretrain', '[base]', '{ steps: 5 }', 'stages[3].with', /steps/],
    ['a domain the pretrain\'s data lacks (Brown genres a, b through the filter)', '[base]', '{ fraction: 0.5, domains: { news: 2, sports: 0 } }', 'stages[3].with.domains.sports', /^no domain "sports" in the data of pretrain "base" \(its domains: editorial, news\)$/],
    ['a negative domain weight', '[base]', '{ domains: { news: -1 } }', 'stages[3].with.domains.news', /0/],
  ])('%s', (_what, inputs, w, path, message) => {
    const issues = compileErrors(withUpsample(inputs, w));
    const issue = issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue!.message).toMatch(message);
    if (path.includes('.with.') || path.endsWith('.with')) expect(issue!.line).toBe(line);
  });

  it('an upsample of an sft model is refused: it continues a pretrain schedule', () => {
    const text = `${VALID}  - id: pairs-tuned
    kind: sft
    inputs: [base, pairs]
  - id: up
    kind: upsample
    inputs: [pairs-tuned]
`.replace('datasets:\n', 'datasets:\n  pairs: { source: builtin:tasks, tasks: [addition], shape: sft, limit: 10 }\n');
    const issue = compileErrors(text).find((i) => i.path === 'stages[4].inputs[0]');
    expect(issue?.message).toBe('upsample continues a pretrain\'s schedule: "pairs-tuned" is a stage of kind sft (give a pretrain stage)');
  });
});
