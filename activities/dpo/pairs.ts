/**
 * "Weaker vs weakest" preference pairs (the Delta Learning idea), for a dpo stage with `pairs: { chosen, rejected }`:
 * the prompts of its datasets (rows of any shape: answer, sft or preference), each answered by both models in the
 * sft chat template (a `generate` job per model in the trainer child, ml/generate.ts), the stronger model's response
 * chosen over the weaker one's. A pair whose responses are equal or either is empty teaches nothing and is dropped.
 * The rows are committed as a preference dataset (the stage's `pairs` port), so lineage shows what DPO trained on
 * and the reference cache keys on it like on any dataset.
 */
import { readDataset, writeDataset } from '../../datasets/dataset.ts';
import { ROW_SHAPES, rowText, type PreferenceRow } from '../../datasets/posttrain/rows.ts';
import type { ArtifactRef } from '../../datasets/types.ts';
import type { GenerateResult } from '../../ml/jobs.ts';
import { chatPrompt } from '../../ml/posttrain/sft-loss.ts';
import type { DpoWith } from '../../recipe/stages/dpo.ts';
import type { ActivityDeps } from '../deps.ts';
import type { StageInput } from '../types.ts';
import { runStageJob } from '../trainer-stage.ts';

type PairsWith = NonNullable<DpoWith['pairs']>;

/** The prompts of `datasets`' rows, in order, each once; `reject` for a document without a string prompt. */
async function promptsOf(deps: ActivityDeps, datasets: readonly StageInput[], reject: (m: string) => never): Promise<string[]> {
  const seen = new Set<string>();
  for (const d of datasets) {
    for await (const doc of readDataset(deps.store, d.artifact.id)) {
      const prompt = doc.meta?.prompt;
      if (typeof prompt !== 'string' || prompt.trim() === '') reject(`pairs: document "${doc.id}" of "${d.node}" has no prompt (its rows need a "prompt": shape ${ROW_SHAPES.join(', ')})`);
      seen.add(prompt);
    }
  }
  return [...seen];
}

/** What {@link makePairs} made. */
export interface MadePairs {
  artifact: ArtifactRef;
  pairs: number;
  /** Prompts whose two responses were equal or empty. */
  dropped: number;
}

/** Samples both models on the datasets' prompts and commits the preference rows (see the file header). */
export async function makePairs(
  deps: ActivityDeps,
  opts: { pairs: PairsWith; chosen: StageInput; rejected: StageInput; datasets: readonly StageInput[]; seed: number; backend: DpoWith['backend']; stage: string },
  reject: (m: string) => never,
): Promise<MadePairs> {
  const prompts = await promptsOf(deps, opts.datasets, reject);
  if (prompts.length === 0) reject('pairs: its datasets have no rows to take prompts from');
  const sample = async (model: StageInput): Promise<string[]> => {
    const job = {
      type: 'generate' as const,
      modelDir: deps.store.dir(model.artifact.id),
      prompts: prompts.map(chatPrompt),
      maxNewTokens: opts.pairs.maxNewTokens,
      temperature: opts.pairs.temperature,
      topK: opts.pairs.topK,
      seed: opts.seed,
      backend: opts.backend,
    };
    const r = await runStageJob<GenerateResult>(job, { details: () => ({ step: 0, totalSteps: 0, loss: null, checkpoint: null }), cancelled: () => `dpo "${opts.stage}" sampling ${model.node}` });
    return r.texts;
  };
  const chosen = await sample(opts.chosen);
  const rejected = await sample(opts.rejected);
  const rows: Array<{ id: string; row: PreferenceRow }> = [];
  prompts.forEach((prompt, i) => {
    const c = chosen[i]!.trim();
    const r = rejected[i]!.trim();
    if (c !== '' && r !== '' && c !== r) rows.push({ id: `pairs/${String(i).padStart(5, '0')}`, row: { prompt, chosen: c, rejected: r } });
  });
  if (rows.length === 0) reject(`pairs: "${opts.chosen.node}" and "${opts.rejected.node}" gave equal or empty responses to all ${prompts.length} prompts; nothing to prefer`);
  const artifact = await writeDataset(
    deps.store,
    rows.map(({ id, row }) => ({ id, text: rowText('preference', row), domain: 'pairs', meta: { ...row } })),
    { meta: { stage: opts.stage, shape: 'preference', pairsFrom: { chosen: { stage: opts.chosen.node, artifact: opts.chosen.artifact.id }, rejected: { stage: opts.rejected.node, artifact: opts.rejected.artifact.id } } } },
  );
  return { artifact, pairs: rows.length, dropped: prompts.length - rows.length };
}
