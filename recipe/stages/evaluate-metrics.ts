/**
 * The names of evaluate's metrics, in the one place they are built and read (the activity writes them,
 * the CLI's tables, the demo and the tests read them). A name carries its unit, as lm-evaluation-harness's
 * do (DESIGN.md): `<task>/<domain>/bits_per_byte` for a perplexity task (domain `mean`: the mean over
 * domains), `<task>/exact_match`, `<task>/acc`, `<task>/acc_norm` for the others; each metric's standard
 * error is the same name with `_stderr`; an n-gram baseline's is `baseline/<order>/<name>`; with several
 * models in one stage every name is prefixed by the model's stage, `<stage>/`. PURE.
 */

/** The metrics a task reports, by unit. */
export const EVALUATE_METRICS = ['bits_per_byte', 'exact_match', 'acc', 'acc_norm'] as const;
export type EvaluateMetric = (typeof EVALUATE_METRICS)[number];

/**
 * The reference scorers an evaluation reports beside each model's bits per byte: byte n-gram models
 * fitted on the documents the model was trained on (ml/ngram.ts says how they are smoothed).
 */
export const EVALUATE_BASELINES = ['unigram', 'bigram', 'trigram'] as const;
export type EvaluateBaseline = (typeof EVALUATE_BASELINES)[number];

/** The parts of an evaluate metric's name. */
export interface EvaluateMetricName {
  /** The model's stage (several models in one stage), or null. */
  model: string | null;
  baseline: EvaluateBaseline | null;
  /** The task's name in the stage (`perplexity`, or the `name:` of a task spec). */
  task: string;
  /** bits_per_byte only: the domain, or `mean`. */
  domain: string | null;
  metric: EvaluateMetric;
  /** The standard error of the metric rather than the metric. */
  stderr: boolean;
}

/** An evaluate metric's name from its parts (see the file header). */
export function evaluateMetricName(parts: Pick<EvaluateMetricName, 'task' | 'metric'> & Partial<EvaluateMetricName>): string {
  const segments = [
    ...(parts.model ? [parts.model] : []),
    ...(parts.baseline ? ['baseline', parts.baseline] : []),
    parts.task,
    ...(parts.metric === 'bits_per_byte' ? [parts.domain ?? 'mean'] : []),
    `${parts.metric}${parts.stderr ? '_stderr' : ''}`,
  ];
  return segments.join('/');
}

/** The parts of a name {@link evaluateMetricName} built, or null for any other metric. */
export function parseEvaluateMetric(name: string): EvaluateMetricName | null {
  const segments = name.split('/');
  const last = segments.pop()!;
  const stderr = last.endsWith('_stderr');
  const metric = (stderr ? last.slice(0, -'_stderr'.length) : last) as EvaluateMetric;
  if (!(EVALUATE_METRICS as readonly string[]).includes(metric)) return null;
  const domain = metric === 'bits_per_byte' ? (segments.pop() ?? null) : null;
  const task = segments.pop();
  if (task === undefined || domain === '' || task === '' || (metric === 'bits_per_byte' && domain === null)) return null;
  // What is left: [], [model], [baseline, b] or [model, baseline, b].
  let model: string | null = null;
  let baseline: EvaluateBaseline | null = null;
  if (segments.length === 1 || segments.length === 3) model = segments.shift()!;
  if (segments.length === 2) {
    if (segments[0] !== 'baseline' || !(EVALUATE_BASELINES as readonly string[]).includes(segments[1]!)) return null;
    baseline = segments[1] as EvaluateBaseline;
  } else if (segments.length !== 0) return null;
  if (model === '') return null;
  return { model, baseline, task, domain, metric, stderr };
}
