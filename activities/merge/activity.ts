/**
 * `merge`: combines its input models (and its base, for task arithmetic, TIES and DARE) into one model
 * artifact, in this process (ml/merge/: plain arithmetic over the weights, no trainer child; it yields
 * between tensors). Inputs that do not fit together fail non-retryably naming the tensor that differs. The
 * output's `model.json` and its artifact meta record the method, its settings, each input model (stage,
 * artifact, weight) and the base; lineage's edges name the same artifacts. DARE's masks are seeded from the
 * recipe's seed, so a rerun (or a cache miss) gives the same model. The merged model keeps the chat template of
 * its base, else of its first model (mergekit's tokenizer source), so evaluate prompts it as those were tuned.
 */
import { activityInfo } from '@temporalio/activity';
import { JobInputError } from '../../ml/errors.ts';
import { loadModelTensors, mergeTensors, writeMergedModel, type MergeSpec } from '../../ml/merge/merge-models.ts';
import { mergeStage, type MergeSettings } from '../../recipe/stages/merge.ts';
import type { ActivityDeps } from '../deps.ts';
import { stageActivity } from '../stage-activity.ts';

/** The ml/ side's spec: settings with the weights lined up with `models` (a model not named weighs 1), the base apart. */
function specFor(s: MergeSettings, models: readonly string[]): MergeSpec {
  if (s.method === 'slerp') return s;
  const weights = models.map((m) => s.weights[m] ?? 1);
  switch (s.method) {
    case 'linear':
      return { method: s.method, weights, normalize: s.normalize };
    case 'task-arithmetic':
      return { method: s.method, weights, lambda: s.lambda, normalize: s.normalize };
    case 'ties':
      return { method: s.method, weights, density: s.density, lambda: s.lambda, normalize: s.normalize };
    case 'dare':
      return { method: s.method, weights, density: s.density, rescale: s.rescale, signConsensus: s.signConsensus, lambda: s.lambda, normalize: s.normalize };
  }
}

export function createMerge(deps: ActivityDeps) {
  return stageActivity(mergeStage, {
    async run({ req, settings, inputs, reject }) {
      const models = inputs.data.filter((i) => i.kind === 'model');
      if (models.length === 0) reject('no model among its inputs');
      const base = inputs.base[0];
      if ('base' in settings && !base) reject(`${settings.method} needs its base model "${settings.base}" among its inputs`);
      const labels = models.map((m) => m.node);
      const spec = specFor(settings, labels);
      let loaded;
      let loadedBase = null;
      let merged;
      try {
        loaded = await Promise.all(models.map((m) => loadModelTensors({ label: m.node, dir: deps.store.dir(m.artifact.id) })));
        if ('base' in settings && base) loadedBase = await loadModelTensors({ label: `${base.node} (base)`, dir: deps.store.dir(base.artifact.id) });
        merged = await mergeTensors(spec, loaded, loadedBase, req.node.context.seed);
      } catch (err) {
        if (err instanceof JobInputError) reject(err.message);
        throw err;
      }
      const weights = 'weights' in spec ? spec.weights : null;
      const record = {
        method: settings.method,
        settings,
        models: labels.map((label, i) => ({ label, ...(weights ? { weight: weights[i]! } : {}) })),
        base: loadedBase && base ? base.node : null,
      };
      // The chat template goes with the tokenizer, as mergekit's tokenizer_source: the base's, else the first model's.
      const templateFrom = loadedBase && base ? base : models[0]!;
      const chatTemplate = (await deps.store.get(templateFrom.artifact.id)).meta.chatTemplate;
      const outputDir = await deps.store.stage();
      await writeMergedModel(outputDir, loaded[0]!, merged, { ...record, ...(chatTemplate !== undefined ? { chatTemplate } : {}) });
      const artifact = await deps.store.commit(outputDir, 'model', {
        stage: req.node.id,
        // Plain float64/float32 arithmetic in this process: no TensorFlow backend ran (as model.json says).
        backend: 'none',
        tensorflowVersion: null,
        device: 'cpu',
        method: settings.method,
        settings,
        models: models.map((m, i) => ({ stage: m.node, artifact: m.artifact.id, ...(weights ? { weight: weights[i]! } : {}) })),
        base: base && 'base' in settings ? { stage: base.node, artifact: base.artifact.id } : null,
        config: loaded[0]!.config,
        seed: req.node.context.seed,
        ...(chatTemplate !== undefined ? { chatTemplate, chatTemplateFrom: templateFrom.node } : {}),
      });
      const parameters = merged.tensors.reduce((s, t) => s + t.data.length, 0);
      return {
        outputs: [{ port: 'model', artifact }],
        metrics: { models: models.length, parameters, kept_fraction: merged.keptFraction },
        attempt: activityInfo().attempt,
      };
    },
  });
}
