/**
 * `evaluate`: scores models on held-out data in the trainer child process (activities/evaluate/), with
 * task specs in the spirit of lm-evaluation-harness's task configs: `perplexity` (bits per byte by domain
 * on the stage's text datasets, beside n-gram baselines), `generate` (greedy or seeded sampling, an
 * answer-extraction regex, exact match) on `{prompt, answer}` rows, and `multiple_choice` (summed and
 * byte-length-normalized log-likelihood of each choice, `acc` and `acc_norm`) on `{prompt, choices,
 * answer}` rows. A task's rows come from the dataset its `data:` names (a role reference, like filter's
 * `decontaminate.against`); the compiler checks that a recipe dataset's shape fits the task.
 */
import { z } from 'zod';
import { answerExtraction, posInt, refSchema, regexProblem } from './common.ts';
import { evaluateMetricName } from './evaluate-metrics.ts';
import type { StageSpec, WithIssue } from './spec.ts';

export { EVALUATE_BASELINES, EVALUATE_METRICS, evaluateMetricName, parseEvaluateMetric, type EvaluateBaseline, type EvaluateMetric, type EvaluateMetricName } from './evaluate-metrics.ts';

/** The kinds of task a spec may name (`task:`). */
export const EVALUATE_TASKS = ['perplexity', 'generate', 'multiple_choice'] as const;
export type EvaluateTaskKind = (typeof EVALUATE_TASKS)[number];

/** Names this format once had, and what to write instead. */
const RENAMED: Readonly<Record<string, string>> = {
  'perplexity-by-domain': 'task "perplexity-by-domain" is now "perplexity" (its metrics are perplexity/<domain>/bits_per_byte): write tasks: [perplexity]',
  'exact-match': 'task "exact-match" is now a generate task: write { task: generate, data: <a dataset of {prompt, answer} rows> }',
  'multiple-choice': 'task "multiple-choice" is now multiple_choice: write { task: multiple_choice, data: <a dataset of {prompt, choices, answer} rows> }',
};

/** A task's name in the stage: a part of its metric names, so no `/`. */
const taskName = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected a name of lowercase letters, digits, "_" and "-"');


/** The first line of the generation (a regex with no `m` flag: `^` is the text's start). */
export const DEFAULT_EXTRACTION = { regex: '^[^\\n]*' } as const;

const perplexityTask = z.object({ task: z.literal('perplexity'), name: taskName.default('perplexity') }).strict();

const generateTask = z
  .object({
    task: z.literal('generate'),
    name: taskName.default('generate'),
    /** The `{prompt, answer}` rows: a recipe dataset or a stage's dataset output. */
    data: refSchema,
    maxNewTokens: posInt.max(512).default(16),
    /** 0: greedy (argmax); above: seeded sampling (`seed`, default the recipe's). */
    temperature: z.number().min(0).max(10).default(0),
    topK: z.number().int().min(0).default(0),
    seed: z.number().int().min(0).optional(),
    /** How the answer is taken from the generation before exact match (lm-eval's regex filter). */
    extract: answerExtraction.default(DEFAULT_EXTRACTION),
    /** Score the first `limit` rows only. */
    limit: posInt.optional(),
  })
  .strict();

const multipleChoiceTask = z
  .object({
    task: z.literal('multiple_choice'),
    name: taskName.default('multiple_choice'),
    /** The `{prompt, choices, answer}` rows. */
    data: refSchema,
    limit: posInt.optional(),
  })
  .strict();

/** One task spec, resolved (as the plan carries it). */
export const evaluateTaskSpec = z.discriminatedUnion('task', [perplexityTask, generateTask, multipleChoiceTask]);
export type EvaluateTaskSpec = z.output<typeof evaluateTaskSpec>;

export const evaluateWith = z
  .object({
    /** Task specs; a bare string is a task with every default (only `perplexity` has none to give). */
    tasks: z.array(z.union([z.string(), evaluateTaskSpec])).min(1).default(['perplexity']),
    /** perplexity: caps the documents scored per domain (the first ones). */
    maxDocsPerDomain: posInt.optional(),
  })
  .strict();

export type EvaluateWith = z.output<typeof evaluateWith>;

/** The settings: every task a spec object (the bare name `perplexity` becomes `{ task: perplexity }`); other names are refused by the check. */
export const evaluateSettings = z
  .object({
    tasks: z
      .array(z.union([z.literal('perplexity').transform((): EvaluateTaskSpec => ({ task: 'perplexity', name: 'perplexity' })), evaluateTaskSpec]))
      .min(1)
      .default([{ task: 'perplexity', name: 'perplexity' }]),
    maxDocsPerDomain: posInt.optional(),
  })
  .strict();
export type EvaluateSettings = z.output<typeof evaluateSettings>;

/** The row shape each task reads (datasets/posttrain/rows.ts), and what a recipe author writes for it. */
const SHAPE_OF: Readonly<Record<Exclude<EvaluateTaskKind, 'perplexity'>, { shape: string; rows: string }>> = {
  generate: { shape: 'answer', rows: '{prompt, answer}' },
  multiple_choice: { shape: 'multiple_choice', rows: '{prompt, choices, answer}' },
};

/**
 * Compile-time checks: renamed and unknown bare task names, duplicate task names (they name metrics),
 * regexes that do not compile, and a task whose recipe dataset has another row shape.
 */
function checkTasks(w: EvaluateWith, stage: { datasets?: Readonly<Record<string, { source: string; shape?: string }>> }): WithIssue[] {
  const issues: WithIssue[] = [];
  const names = new Map<string, number>();
  w.tasks.forEach((t, j) => {
    const name = typeof t === 'string' ? t : t.name;
    const seen = names.get(name);
    if (seen !== undefined) issues.push({ path: typeof t === 'string' ? `tasks[${j}]` : `tasks[${j}].name`, message: `two tasks are named "${name}" (also tasks[${seen}]): give each its own name (it names their metrics)` });
    else names.set(name, j);
    if (typeof t === 'string') {
      if (t === 'perplexity') return;
      const hint = RENAMED[t] ?? (t === 'generate' || t === 'multiple_choice' ? `task "${t}" needs its rows: write { task: ${t}, data: <dataset> }` : `unknown evaluate task "${t}": expected one of ${EVALUATE_TASKS.join(', ')}`);
      issues.push({ path: `tasks[${j}]`, message: hint });
      return;
    }
    if (t.task === 'perplexity') return;
    if (t.task === 'generate' && typeof t.extract === 'object') {
      const problem = regexProblem(t.extract.regex);
      if (problem !== null) issues.push({ path: `tasks[${j}].extract.regex`, message: `not a valid regular expression: ${problem}` });
    }
    const dataset = stage.datasets?.[t.data];
    if (dataset === undefined) return; // a stage's output: its rows are checked when the task reads them
    const shape = dataset.shape ?? (dataset.source === 'builtin:tasks' ? 'answer' : undefined);
    const want = SHAPE_OF[t.task];
    if (shape !== want.shape) {
      issues.push({
        path: `tasks[${j}].data`,
        message: `${t.task} task "${t.name}" reads ${want.rows} rows, but dataset "${t.data}" ${shape === undefined ? 'has text documents' : `has shape ${shape}`}: give it shape: ${want.shape}`,
      });
    }
  });
  return issues;
}

export const evaluateStage = {
  kind: 'evaluate',
  summary: 'lm-eval-style tasks: bits per byte by domain (beside n-gram baselines), exact match of generated answers, multiple choice by log-likelihood',
  with: evaluateWith,
  settings: evaluateSettings,
  inputs: { accepts: ['model', 'dataset'], requires: 'model' },
  roles: { task: 'dataset' },
  // One input per dataset a task names (two tasks on the same rows share it).
  refs: (w: EvaluateWith) => {
    const seen = new Set<string>();
    return w.tasks.flatMap((t, j) => (typeof t === 'string' || t.task === 'perplexity' || seen.has(t.data) ? [] : (seen.add(t.data), [{ ref: t.data, role: 'task', path: `tasks[${j}].data` }])));
  },
  ports: { report: 'report' },
  queue: 'braise-cpu',
  long: true,
  available: true,
  // 3: task specs (generate, multiple_choice), metric names with their unit, standard errors, one window length across models.
  implVersion: '3',
  // An evaluation of a pretrained model scores its held-out documents unless told otherwise.
  impliedInputs: (written, portsOf) =>
    written.some((x) => x.kind === 'dataset')
      ? []
      : written.filter((x) => x.kind === 'model' && 'heldout' in (portsOf(x.node) ?? {})).map((m) => ({ node: m.node, port: 'heldout', kind: 'dataset' as const })),
  check: checkTasks,
  headline: [evaluateMetricName({ task: 'perplexity', domain: 'mean', metric: 'bits_per_byte' }), evaluateMetricName({ task: 'perplexity', domain: 'mean', metric: 'bits_per_byte', baseline: 'trigram' })],
} as const satisfies StageSpec<'evaluate', typeof evaluateWith, typeof evaluateSettings>;
