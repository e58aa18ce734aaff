/**
 * The `rlvr` stage at compile time: open-instruct's GRPO defaults filled in (4 samples per prompt, β 0.05, k3,
 * centered advantages, clip 0.2 / 0.272, the last-number verifier scoring 10), a `{ regex }` extraction that
 * does not compile refused with its path and line, and the old placeholder fields refused as unknown keys.
 */
import { describe, expect, it } from 'vitest';
import { compileRecipe, parseRecipeText } from '../../../recipe/index.ts';
import { compileErrors, VALID } from './fixtures.ts';

/** VALID plus addition prompts and an rlvr stage tuning `base` (line 23 is its `with`). */
function withRlvr(withBlock: string): string {
  return VALID.replace('datasets:\n', 'datasets:\n  prompts: { source: builtin:tasks, tasks: [addition], shape: answer }\n') + `  - id: rl
    kind: rlvr
    inputs: [base, prompts]
    with: ${withBlock}
`;
}

describe('rlvr: compiling', () => {
  it("fills open-instruct's GRPO defaults and Braise's sampling ones", () => {
    const node = compileRecipe(parseRecipeText(withRlvr('{ steps: 5 }'))).nodes.find((n) => n.id === 'rl')!;
    expect(node.with).toEqual({
      steps: 5, samplesPerPrompt: 4, promptsPerStep: 8, lr: 3e-4, warmupRatio: 0.1, beta: 0.05, klEstimator: 'k3', advantage: 'centered',
      clipLower: 0.2, clipHigher: 0.272, temperature: 1, maxNewTokens: 16, extraction: 'last_number', reward: 10, gradClip: 1, weightDecay: 0,
      checkpointEvery: 10, backend: 'auto',
    });
    expect(node.queue).toBe('braise-gpu');
    expect(node.inputs.map((i) => i.kind)).toEqual(['model', 'dataset']);
  });

  it('takes a regex extraction that compiles', () => {
    const node = compileRecipe(parseRecipeText(withRlvr('{ extraction: { regex: "= *(-?[0-9]+)" } }'))).nodes.find((n) => n.id === 'rl')!;
    expect(node.with['extraction']).toEqual({ regex: '= *(-?[0-9]+)' });
  });
});

describe('rlvr: refusals, with path and line', () => {
  const line = 23; // the rlvr stage's `with:` line
  it.each([
    ['a regex that does not compile', '{ extraction: { regex: "([0-9]+" } }', 'stages[3].with.extraction.regex', /^not a valid regular expression: /],
    ['an unknown extraction', '{ extraction: first_number }', 'stages[3].with.extraction', /./],
    ["the old placeholder's groupSize", '{ groupSize: 4 }', 'stages[3].with', /unknown key "groupSize"/],
    ['one sample per prompt (no group to compare)', '{ samplesPerPrompt: 1 }', 'stages[3].with.samplesPerPrompt', /2/],
  ])('%s', (_name, w, path, message) => {
    const issues = compileErrors(withRlvr(w));
    expect(issues).toEqual([expect.objectContaining({ path, message: expect.stringMatching(message) })]);
    expect(issues[0]!.line).toBe(line);
  });
});
