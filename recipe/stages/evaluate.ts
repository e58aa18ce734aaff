/** `evaluate`: scores models on held-out datasets in the trainer child process (activities/evaluate/). */
import { z } from 'zod';
import { posInt } from './common.ts';
import type { StageSpec, WithIssue } from './spec.ts';

/** Evaluation tasks the recipe format declares. */
export const EVALUATE_TASKS = ['perplexity-by-domain', 'exact-match', 'multiple-choice'] as const;
export type EvaluateTask = (typeof EVALUATE_TASKS)[number];
/** The ones this version of Braise can run; the compiler refuses the others. */
export const AVAILABLE_EVALUATE_TASKS: readonly EvaluateTask[] = ['perplexity-by-domain'];

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
  summary: 'bits per byte by domain on held-out documents',
  with: evaluateWith,
  settings: evaluateWith,
  inputs: { accepts: ['model', 'dataset'], requires: 'model' },
  roles: {},
  ports: { report: 'report' },
  queue: 'braise-cpu',
  long: true,
  available: true,
  implVersion: '1',
  // An evaluation of a pretrained model scores its held-out documents unless told otherwise.
  impliedInputs: (written, portsOf) =>
    written.some((x) => x.kind === 'dataset')
      ? []
      : written.filter((x) => x.kind === 'model' && 'heldout' in (portsOf(x.node) ?? {})).map((m) => ({ node: m.node, port: 'heldout', kind: 'dataset' as const })),
  check: checkTasks,
  headline: ['perplexity-by-domain/mean'],
} as const satisfies StageSpec<'evaluate', typeof evaluateWith>;
