/**
 * The child runs of the ablation stages (mixsearch, mergeablation): plain recipe runs started through
 * `deps.runs`, each a run of its own in lineage and the Temporal UI, named after its parent
 * (`<recipe>-<stage>-<suffix>`, its options naming the parent run and stage), and waited for while the
 * stage heartbeats.
 *
 * Ids are deterministic: a child is keyed by the stage's cache key (and the run, under `--no-cache`) and its
 * name, so a retried or resumed stage re-attaches to the children it started instead of
 * training them again. A child that ended without completing (failed, cancelled with its parent) is not
 * waited on again: the next attempt of the stage starts its next generation (`#1`, `#2`, … of the same
 * key), so a resumed parent trains what its cancelled children had not finished (their finished stages
 * come from the cache). Cancelling the stage cancels its children.
 */
import { setMaxListeners } from 'node:events';
import { Context, heartbeat } from '@temporalio/activity';
import { childRecipeName } from '../../recipe/stages/ablation.ts';
import { readDataset } from '../../datasets/dataset.ts';
import type { Doc } from '../../datasets/types.ts';
import type { RunView } from '../../service/view.ts';
import type { ActivityDeps } from '../deps.ts';
import type { StageInput, StageRequest } from '../types.ts';

/** The recipe name of the run a workflow id belongs to (`braise-<name>-<runId>`). */
export function parentRecipeName(req: Pick<StageRequest, 'workflowId' | 'runId'>): string {
  const prefix = 'braise-';
  const suffix = `-${req.runId}`;
  const { workflowId } = req;
  return workflowId.startsWith(prefix) && workflowId.endsWith(suffix) ? workflowId.slice(prefix.length, -suffix.length) : 'run';
}

export interface ChildSpec {
  /** The end of its name and key: `proxy-3`, `models`. */
  suffix: string;
  /** The recipe, as an object (its `name` is set here). */
  recipe: Record<string, unknown>;
}

export interface FinishedChild {
  suffix: string;
  runId: string;
  view: RunView;
}

/** How many generations of one child a stage may start before it gives up. */
const MAX_GENERATIONS = 8;

/**
 * Starts (or finds) every child and waits until all completed, heartbeating the children done as `step` of
 * `totalSteps`. A `--no-cache` stage's children run with `--no-cache` too. A child that
 * fails during this attempt fails the attempt (retryable: the next one starts its next generation); the
 * stage's cancellation cancels every child still running.
 */
export async function runChildren(deps: ActivityDeps, req: StageRequest, children: readonly ChildSpec[], reject: (message: string) => never): Promise<FinishedChild[]> {
  const runs = deps.runs;
  if (!runs) return reject('this worker cannot start child runs (no Temporal client wired into its activities)');
  const ctx = Context.current();
  const signal = ctx.cancellationSignal;
  const recipeName = parentRecipeName(req);
  const parent = { runId: req.runId, stageId: req.node.id };
  const started = new Set<string>();
  // Ends every wait once one child fails (the stage's own cancellation ends them too).
  const waits = new AbortController();
  // Every child's wait (and the client calls inside it) listens on it.
  setMaxListeners(10 + 4 * children.length, waits.signal);
  const endWaits = (): void => waits.abort(signal.reason);
  let done = 0;
  // In the shape of a training stage's progress, so `braise run` shows children done of all as steps.
  const progress = () => heartbeat({ step: done, totalSteps: children.length, loss: null, checkpoint: null });
  const beat = setInterval(progress, 5000);
  const onCancel = (): void => {
    for (const runId of started) void runs.cancel(runId).catch((err: unknown) => deps.logger.warn({ err, runId }, 'could not cancel a child run'));
  };
  signal.addEventListener('abort', onCancel, { once: true });
  signal.addEventListener('abort', endWaits, { once: true });
  progress();
  try {
    return await Promise.all(
      children.map(async (child): Promise<FinishedChild> => {
        const name = childRecipeName(recipeName, req.node.id, child.suffix);
        const recipe = { ...child.recipe, name };
        for (let generation = 0; generation < MAX_GENERATIONS; generation++) {
          const key = [req.node.kind, req.cacheKey, req.noCache ? req.runId : '', name, generation > 0 ? `#${generation}` : ''].join('\0');
          const run = await runs.start(recipe, key, { parent, noCache: req.noCache === true }).catch((err: unknown) => {
            // The compiler refused the child (the service's InvalidInputError, known here by its shape): no retry can fix it.
            const issues = (err as { name?: string; issues?: Array<{ path: string; message: string }> }).issues;
            if ((err as Error).name === 'InvalidInputError' && Array.isArray(issues)) return reject(`its child run ${name} is refused: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
            throw err;
          });
          started.add(run.runId);
          const view = await runs.wait(run.runId, waits.signal);
          if (view.status === 'completed') {
            done++;
            progress();
            return { suffix: child.suffix, runId: run.runId, view };
          }
          if (run.created) {
            const failed = view.stages.find((s) => s.status === 'failed');
            throw new Error(`child run ${run.runId} (${name}) ${view.status}${failed ? ` at stage "${failed.id}": ${failed.error ?? 'no error recorded'}` : view.error ? `: ${view.error}` : ''}`);
          }
          // Ended without completing in an earlier attempt: start its next generation.
        }
        return reject(`child ${name} ended without completing ${MAX_GENERATIONS} times; see its runs (braise status)`);
      }),
    );
  } finally {
    clearInterval(beat);
    signal.removeEventListener('abort', onCancel);
    signal.removeEventListener('abort', endWaits);
    waits.abort();
  }
}

/** A completed child's stage metric, or a rejection naming the child, the stage and the metric. */
export function childMetric(child: FinishedChild, stage: string, metric: string, reject: (message: string) => never): number {
  const value = child.view.stages.find((s) => s.id === stage)?.metrics[metric];
  if (typeof value !== 'number' || !Number.isFinite(value)) return reject(`child run ${child.runId} has no metric ${metric} on its stage "${stage}"`);
  return value;
}

/**
 * A child's recipe: the parent stage's data inputs as `artifact:` datasets `data0`, `data1`, … and its target as
 * `target` (nothing is ingested from its source again), the given model and seed, and the stages `stages(names)`
 * makes from the data datasets' names.
 */
export function childRecipe(opts: { seed: number; model: unknown; data: readonly StageInput[]; target: StageInput; stages: (data: string[]) => unknown[] }): Record<string, unknown> {
  const names = opts.data.map((_, i) => `data${i}`);
  return {
    apiVersion: 'braise/v1',
    seed: opts.seed,
    model: opts.model,
    datasets: {
      ...Object.fromEntries(opts.data.map((d, i) => [names[i], { source: `artifact:${d.artifact.id}` }])),
      target: { source: `artifact:${opts.target.artifact.id}` },
    },
    stages: opts.stages(names),
  };
}

/** An ablation stage's inputs: its target, which must be there, and every document of its data inputs (heartbeating as it reads). */
export async function ablationInputs(
  deps: ActivityDeps,
  inputs: { data: StageInput[]; target: StageInput[] },
  reject: (message: string) => never,
): Promise<{ target: StageInput; docs: Doc[] }> {
  const target = inputs.target[0];
  if (target === undefined) return reject('its target dataset is not among its inputs');
  const docs: Doc[] = [];
  for (const input of inputs.data) {
    for await (const doc of readDataset(deps.store, input.artifact.id)) {
      docs.push(doc);
      if (docs.length % 1000 === 0) heartbeat({ docs: docs.length });
    }
  }
  return { target, docs };
}
