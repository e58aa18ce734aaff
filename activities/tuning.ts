/**
 * What the stages that tune one model on rows (sft, rlvr) read from their inputs alike: exactly one model, at
 * least one dataset, the datasets' shards and row count, and the recipe's model config (each refusal the stage's
 * own non-retryable `reject`, naming the rows it wanted). Their model artifact: ./tuned-model.ts.
 */
import { readManifest, shardPaths } from '../datasets/dataset.ts';
import type { z } from 'zod';
import { formatIssues, modelConfigSchema } from '../ml/config.ts';
import type { ActivityDeps } from './deps.ts';
import type { StageInput, StageRequest } from './types.ts';

/** A tuning stage's inputs, checked. */
export interface TuningInputs {
  /** The model tuned (and, for rlvr, the KL reference). */
  base: StageInput;
  datasets: StageInput[];
  shards: string[];
  /** Rows (documents) across the datasets: more than 0. */
  rows: number;
  /** The recipe's `model:` block, parsed for the trainer job. */
  model: z.output<typeof modelConfigSchema>;
}

/**
 * The model, datasets, shards, row count and model config of a stage that tunes one model on rows of `rows`
 * (e.g. `{prompt, response}`); `hint` says which datasets have them.
 */
export async function tuningInputs(
  deps: ActivityDeps,
  req: StageRequest,
  data: readonly StageInput[],
  reject: (message: string) => never,
  wanted: { rows: string; hint: string },
): Promise<TuningInputs> {
  const models = data.filter((i) => i.kind === 'model');
  const datasets = data.filter((i) => i.kind === 'dataset');
  if (models.length !== 1) reject(`tunes exactly one model; its inputs have ${models.length} (${models.map((m) => m.node).join(', ') || 'none'})`);
  if (datasets.length === 0) reject(`has no dataset of ${wanted.rows} rows among its inputs (${wanted.hint})`);
  const shards: string[] = [];
  let rows = 0;
  for (const d of datasets) {
    shards.push(...(await shardPaths(deps.store, d.artifact.id)));
    rows += (await readManifest(deps.store, d.artifact.id)).docs;
  }
  if (rows === 0) reject('its datasets have no rows');
  const parsed = modelConfigSchema.safeParse(req.node.context.model);
  if (!parsed.success) reject(formatIssues('model', parsed.error));
  return { base: models[0]!, datasets, shards, rows, model: parsed.data! };
}

