/** `evaluate`: scores models on held-out datasets in the trainer child process (activities/evaluate/). */
import { z } from 'zod';
import { posInt } from './common.ts';
import type { StageSpec, WithIssue } from './spec.ts';

/** Evaluation tasks the recipe format declares. */
export const EVALUATE_TASKS = ['perplexity-by-domain', 'exact-match', 'multiple-choice'] as const;
export type EvaluateTask = (typeof EVALUATE_TASKS)[number];
/** The ones this version of Braise can run; the compiler refuses the others. */
export const AVAILABLE_EVALUATE_TASKS: readonly EvaluateTask[] = ['perplexity-by-domain'];

/**
 * The reference scorers an evaluation reports beside each model's bits per byte: byte n-gram models
 * fitted on the documents the model was trained on (ml/ngram.ts says how they are smoothed).
 */
export const EVALUATE_BASELINES = ['unigram', 'bigram', 'trigram'] as const;
export type EvaluateBaseline = (typeof EVALUATE_BASELINES)[number];

/**
 * An evaluate metric's name: `<task>/<domain>` for the model (domain `mean`: the mean over domains),
 * `baseline/<name>/<task>/<domain>` for a baseline. With several models, the activity prefixes every
 * name with the model's stage, `<stage>/`. The one place names are built and read (the CLI's table).
 */
export function evaluateMetricName(task: string, domain: string, baseline?: EvaluateBaseline): string {
  return baseline === undefined ? `${task}/${domain}` : `baseline/${baseline}/${task}/${domain}`;
}

/** The parts of a name {@link evaluateMetricName} (optionally stage-prefixed) built, or null for any other metric. */
export function parseEvaluateMetric(name: string): { model: string | null; baseline: EvaluateBaseline | null; task: EvaluateTask; domain: string } | null {
  const m = /^(?:([^/]+)\/)??(?:baseline\/([^/]+)\/)?([^/]+)\/([^/]+)$/.exec(name);
  if (m === null) return null;
  const [, model, baseline, task, domain] = m;
  if (!(EVALUATE_TASKS as readonly string[]).includes(task!)) return null;
  if (baseline !== undefined && !(EVALUATE_BASELINES as readonly string[]).includes(baseline)) return null;
  return { model: model ?? null, baseline: (baseline as EvaluateBaseline | undefined) ?? null, task: task as EvaluateTask, domain: domain! };
}

export const evaluateWith = z
  .object({
    tasks: z.array(z.enum(EVALUATE_TASKS)).min(1).default(['perplexity-by-domain']),
    maxDocsPerDomain: posInt.optional(),
  })
  .strict();

export type EvaluateWith = z.output<typeof evaluateWith>;

/** Tasks in the format but not built yet are refused at compile time, not after training. */
function checkTasks(w: EvaluateWith): WithIssue[] {
  return w.tasks.flatMap((task, j) =>
    AVAILABLE_EVALUATE_TASKS.includes(task)
      ? []
      : [{ path: `tasks[${j}]`, message: `evaluate task "${task}" is not available in this version of Braise (available: ${AVAILABLE_EVALUATE_TASKS.join(', ')})` }],
  );
}

export const evaluateStage = {
  kind: 'evaluate',
  summary: 'bits per byte by domain on held-out documents, beside n-gram baselines of the training documents',
  with: evaluateWith,
  settings: evaluateWith,
  inputs: { accepts: ['model', 'dataset'], requires: 'model' },
  roles: {},
  ports: { report: 'report' },
  queue: 'braise-cpu',
  long: true,
  available: true,
  // 2: windows without overlap (lm-evaluation-harness's rolling scheme) and the n-gram baselines.
  implVersion: '2',
  // An evaluation of a pretrained model scores its held-out documents unless told otherwise.
  impliedInputs: (written, portsOf) =>
    written.some((x) => x.kind === 'dataset')
      ? []
      : written.filter((x) => x.kind === 'model' && 'heldout' in (portsOf(x.node) ?? {})).map((m) => ({ node: m.node, port: 'heldout', kind: 'dataset' as const })),
  check: checkTasks,
  headline: [evaluateMetricName('perplexity-by-domain', 'mean'), evaluateMetricName('perplexity-by-domain', 'mean', 'trigram')],
} as const satisfies StageSpec<'evaluate', typeof evaluateWith>;
