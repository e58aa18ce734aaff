/**
 * evaluate's task specs at compile time: the data a row task names becomes an input with its role, a
 * recipe dataset of the wrong row shape, a regex that does not compile and two tasks of one name are
 * refused with their paths and lines, and bare names resolve to full specs in the plan.
 */
import { describe, expect, it } from 'vitest';
import { compileRecipe, parseRecipeText } from '../../../recipe/index.ts';
import { compileErrors, VALID } from './fixtures.ts';

/** VALID with extra `datasets:` lines and the eval stage's `with:` block. */
const recipe = (w: string, datasets = '') =>
  VALID.replace('  web: { source: builtin:brown, genres: [a, b] }\n', `  web: { source: builtin:brown, genres: [a, b] }\n${datasets}`).replace('    inputs: [base]\n', `    inputs: [base]\n    with: ${w}\n`);
const QA = '  qa: { source: builtin:tasks, split: heldout }\n';
const MC = '  mc: { source: builtin:tasks, split: heldout, shape: multiple_choice }\n';

describe('evaluate task specs', () => {
  it('resolve to full specs, the rows of each row task an input with role "task", perplexity on the held-out split', () => {
    const plan = compileRecipe(parseRecipeText(recipe('{ tasks: [perplexity, { task: generate, data: qa, extract: last_number }, { task: multiple_choice, name: mc, data: mc }] }', QA + MC)));
    const node = plan.nodes.find((n) => n.id === 'eval')!;
    expect(node.with).toEqual({
      tasks: [
        { task: 'perplexity', name: 'perplexity' },
        { task: 'generate', name: 'generate', data: 'qa', maxNewTokens: 16, temperature: 0, topK: 0, extract: 'last_number' },
        { task: 'multiple_choice', name: 'mc', data: 'mc' },
      ],
    });
    expect(node.inputs).toEqual([
      { node: 'base', port: 'model', kind: 'model' },
      { node: 'base', port: 'heldout', kind: 'dataset' },
      { node: 'qa', port: 'data', kind: 'dataset', role: 'task' },
      { node: 'mc', port: 'data', kind: 'dataset', role: 'task' },
    ]);
  });

  it('refuses a dataset of the wrong row shape, a bad regex and a repeated name, each with its path and line', () => {
    const issues = compileErrors(
      recipe('{ tasks: [{ task: generate, data: mc, extract: { regex: "(\\\\d+" } }, { task: multiple_choice, name: generate, data: qa }, { task: multiple_choice, name: text, data: web }] }', QA + MC),
    );
    expect(issues.map((i) => [i.path, i.line, i.message])).toEqual([
      ['stages[2].with.tasks[0].extract.regex', 21, expect.stringMatching(/^not a valid regular expression: Invalid regular expression: .*Unterminated group/)],
      ['stages[2].with.tasks[0].data', 21, 'generate task "generate" reads {prompt, answer} rows, but dataset "mc" has shape multiple_choice: give it shape: answer'],
      ['stages[2].with.tasks[1].name', 21, 'two tasks are named "generate" (also tasks[0]): give each its own name (it names their metrics)'],
      ['stages[2].with.tasks[1].data', 21, 'multiple_choice task "generate" reads {prompt, choices, answer} rows, but dataset "qa" has shape answer: give it shape: multiple_choice'],
      ['stages[2].with.tasks[2].data', 21, 'multiple_choice task "text" reads {prompt, choices, answer} rows, but dataset "web" has text documents: give it shape: multiple_choice'],
    ]);
  });

  it('refuses a row task without data, an unknown data reference and perplexity twice under one name', () => {
    expect(compileErrors(recipe('{ tasks: [perplexity, perplexity] }')).map((i) => [i.path, i.message])).toEqual([
      ['stages[2].with.tasks[1]', 'two tasks are named "perplexity" (also tasks[0]): give each its own name (it names their metrics)'],
    ]);
    expect(compileErrors(recipe('{ tasks: [generate] }')).map((i) => [i.path, i.message])).toEqual([['stages[2].with.tasks[0]', 'task "generate" needs its rows: write { task: generate, data: <dataset> }']]);
    expect(compileErrors(recipe('{ tasks: [{ task: generate, data: qaa }] }', QA)).map((i) => [i.path, i.message])).toEqual([
      ['stages[2].with.tasks[0].data', expect.stringMatching(/^unknown input "qaa" \(did you mean "qa"\?\)/)],
    ]);
  });
});
