/**
 * Recipes naming what this version of Braise does not build or know, or a value it refuses: a sweep cell's, an evaluate task
 * without an implementation, a misspelt stage kind, a misspelt built-in dataset. Shared by the
 * compiler's, the CLI's and the API's tests, which each assert the same path, line and message.
 */
import { STAGE_KINDS } from '../../../recipe/stages/index.ts';

const BASE = `apiVersion: braise/v1
name: refusals
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [a] }
stages:
  - id: base
    kind: pretrain
    inputs: [web]
    with: { steps: 2, batchSize: 4 }
`;

export interface Refusal {
  name: string;
  text: string;
  path: string;
  line: number;
  message: string;
}

export const REFUSALS: readonly Refusal[] = [
  {
    name: 'a sweep cell with a bad value',
    text: `${BASE}sweep:\n  matrix:\n    stages.base.with.steps: [2, -1]\n`,
    path: 'stages[0].with.steps',
    line: 13,
    message: 'sweep cell 2 (stages.base.with.steps=-1): Too small: expected number to be >0',
  },
  {
    name: 'an evaluate task under its old name',
    text: `${BASE}  - id: eval\n    kind: evaluate\n    inputs: [base, web]\n    with: { tasks: [perplexity, perplexity-by-domain] }\n`,
    path: 'stages[1].with.tasks[1]',
    line: 14,
    message: 'task "perplexity-by-domain" is now "perplexity" (its metrics are perplexity/<domain>/bits_per_byte): write tasks: [perplexity]',
  },
  {
    name: 'an unknown stage kind',
    text: `${BASE}  - id: tuned\n    kind: pretrian\n    inputs: [web]\n`,
    path: 'stages[1].kind',
    line: 12,
    message: `unknown kind "pretrian" (did you mean "pretrain"?): expected one of ${STAGE_KINDS.join(', ')}`,
  },
  {
    name: 'an unknown built-in dataset',
    text: BASE.replace('builtin:brown', 'builtin:brwn'),
    path: 'datasets.web.source',
    line: 5,
    message: 'unknown built-in dataset "brwn" (did you mean "brown"?): expected one of builtin:brown, builtin:spam-assassin, builtin:tasks, builtin:eval/brown-cloze',
  },
];
