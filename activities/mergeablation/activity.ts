/**
 * `mergeablation`: merge-based data ablation (recipe/stages/mergeablation.ts says what). The units are domains
 * of the input documents (with `units: N`, the documents split into N equal units first: units.ts, written as a
 * dataset the child trains on); everything is trained in one child run, `<recipe>-<stage>-models`, because its models
 * must meet in one recipe (a merge takes its models from stages of its own run):
 *
 * - `base`: a pretrain on every data input (`artifact:` datasets: nothing is ingested again), checkpointing at
 *   s0 = round((1 − fraction) · steps);
 * - `unit-<i>`: an upsample of `base` from s0 with unit i's domain at 1 and every other domain at 0: continued
 *   pretraining on that unit alone, every unit from the same base state;
 * - `merge-<j>`: candidate j's proxy, the linear merge (uniform weights, normalized) of its units' models;
 * - `union-<r>`: a real union, the same continuation with its units' domains at 1 together;
 * - `eval`: every model on the target, one evaluate stage, the same windows for all.
 *
 * Report (`braise.mergeablation/v1`): per unit, candidate and union its stage and bits per byte on the target
 * (and byte perplexity 2^bpb: the same ranks); the real unions' proxy beside real scores and Spearman's ρ between
 * them; the best candidate by proxy. Metrics: `spearman`, `best_proxy_bits_per_byte`, `candidates`, `units`,
 * `unit/<unit>/bits_per_byte`, `candidate/<unit>+<unit>…/proxy_bits_per_byte` and, for a real union,
 * `candidate/<…>/real_bits_per_byte` (cli/render-ablation.ts prints them).
 */
import { activityInfo } from '@temporalio/activity';
import { writeDataset } from '../../datasets/dataset.ts';
import { spearman } from '../../ml/ablation/rank.ts';
import { pickEvenly, subsetsUpTo } from '../../recipe/stages/ablation.ts';
import { evaluateMetricName } from '../../recipe/stages/evaluate-metrics.ts';
import { continuationStart, MAX_CANDIDATES, mergeablationStage, type MergeablationWith } from '../../recipe/stages/mergeablation.ts';
import { ablationInputs, childMetric, childRecipe, runChildren } from '../ablation/children.ts';
import type { ActivityDeps } from '../deps.ts';
import { domainOf } from '../mix/mix.ts';
import { stageActivity } from '../stage-activity.ts';
import type { StageInput } from '../types.ts';
import { splitIntoUnits, unitName } from './units.ts';

/** The child run's recipe (see the module comment); candidates and unions as lists of unit names. */
export function ablationRecipe(
  settings: MergeablationWith,
  data: readonly StageInput[],
  target: StageInput,
  plan: { domains: readonly string[]; units: readonly string[]; candidates: readonly (readonly string[])[]; unions: readonly (readonly string[])[] },
  seed: number,
): Record<string, unknown> {
  const s0 = continuationStart(settings);
  const continued = settings.base.steps - s0;
  const only = (set: readonly string[]) => Object.fromEntries(plan.domains.map((d) => [d, set.includes(d) ? 1 : 0]));
  const unitStage = (u: string) => `unit-${plan.units.indexOf(u)}`;
  const upsample = (id: string, set: readonly string[]) => ({
    id,
    kind: 'upsample',
    inputs: ['base'],
    with: { fraction: settings.fraction, domains: only(set), checkpointEvery: continued, backend: settings.base.backend },
  });
  const models = [...plan.units.map((_, i) => `unit-${i}`), ...plan.candidates.map((_, j) => `merge-${j}`), ...plan.unions.map((_, r) => `union-${r}`)];
  return childRecipe({
    seed,
    model: settings.model,
    data,
    target,
    stages: (names) => [
      { id: 'base', kind: 'pretrain', inputs: names, with: { ...settings.base, checkpointEvery: s0 } },
      ...plan.units.map((u, i) => upsample(`unit-${i}`, [u])),
      ...plan.candidates.map((c, j) => ({ id: `merge-${j}`, kind: 'merge', inputs: c.map(unitStage), with: { method: 'linear' } })),
      ...plan.unions.map((c, r) => upsample(`union-${r}`, c)),
      {
        id: 'eval',
        kind: 'evaluate',
        inputs: [...models, 'target'],
        with: { tasks: ['perplexity'], ...(settings.evalDocsPerDomain !== undefined && { maxDocsPerDomain: settings.evalDocsPerDomain }) },
      },
    ],
  });
}

export function createMergeablation(deps: ActivityDeps) {
  return stageActivity(mergeablationStage, {
    async run({ req, settings, inputs, reject }) {
      const { target, docs } = await ablationInputs(deps, inputs, reject);
      // `units: N`: the child trains on the documents relabelled into N units (one dataset of its own).
      let data = inputs.data;
      if (typeof settings.units === 'number') {
        if (docs.length < settings.units) reject(`with.units: ${docs.length} documents cannot make ${settings.units} units`);
        const split = await writeDataset(deps.store, splitIntoUnits(docs, settings.units), { meta: { stage: req.node.id, runId: req.runId, port: 'units', units: settings.units } });
        data = [{ node: req.node.id, port: 'units', kind: 'dataset', artifact: split }];
      }
      const seen = new Set(typeof settings.units === 'number' ? Array.from({ length: settings.units }, (_, i) => unitName(i)) : docs.map(domainOf));
      const domains = [...seen].sort();
      const units = Array.isArray(settings.units) ? settings.units : typeof settings.units === 'number' ? [...seen] : domains;
      const unknown = units.filter((u) => !seen.has(u));
      if (unknown.length > 0) reject(`with.units: no document of its inputs has domain ${unknown.map((u) => `"${u}"`).join(', ')} (domains: ${domains.join(', ')})`);
      if (units.length < 2) reject(`merge ablation needs at least 2 units; its inputs have ${units.length === 0 ? 'no domain' : `only the domain "${units[0]}"`}`);
      const candidates = settings.candidates ?? subsetsUpTo(units.length, settings.maxSize).map((s) => s.map((i) => units[i]!));
      if (candidates.length > MAX_CANDIDATES) reject(`${units.length} units have ${candidates.length} sets of 2 to ${settings.maxSize}: more than ${MAX_CANDIDATES} merges; lower with.maxSize or list with.candidates`);
      for (const [i, c] of candidates.entries()) {
        const bad = c.find((u) => !units.includes(u));
        if (bad !== undefined) reject(`with.candidates[${i}]: "${bad}" is not one of the units (${units.join(', ')})`);
      }
      if (settings.realUnions > candidates.length) reject(`with.realUnions: ${settings.realUnions} real unions of only ${candidates.length} candidates`);
      const realIndex = pickEvenly(
        candidates.map((_, j) => j),
        settings.realUnions,
      );
      const unions = realIndex.map((j) => candidates[j]!);
      const seed = req.node.context.seed;
      const recipe = ablationRecipe(settings, data, target, { domains, units, candidates, unions }, seed);
      const [child] = await runChildren(deps, req, [{ suffix: 'models', recipe }], reject);
      const bpb = (stage: string) => childMetric(child!, 'eval', `${stage}/${evaluateMetricName({ task: 'perplexity', domain: 'mean', metric: 'bits_per_byte' })}`, reject);

      const unitRows = units.map((u, i) => ({ unit: u, stage: `unit-${i}`, bitsPerByte: bpb(`unit-${i}`) }));
      const candidateRows = candidates.map((c, j) => ({ units: c, stage: `merge-${j}`, proxyBitsPerByte: bpb(`merge-${j}`) }));
      const unionRows = unions.map((c, r) => ({
        units: c,
        candidate: realIndex[r]!,
        stage: `union-${r}`,
        proxyBitsPerByte: candidateRows[realIndex[r]!]!.proxyBitsPerByte,
        realBitsPerByte: bpb(`union-${r}`),
      }));
      const rho = spearman(
        unionRows.map((u) => u.proxyBitsPerByte),
        unionRows.map((u) => u.realBitsPerByte),
      );
      const best = candidateRows.reduce((a, b) => (b.proxyBitsPerByte < a.proxyBitsPerByte ? b : a));
      const ppl = (b: number) => 2 ** b;
      const report = await deps.store.putJson(
        'report',
        {
          format: 'braise.mergeablation/v1',
          stage: req.node.id,
          childRunId: child!.runId,
          target: target.artifact.id,
          base: { ...settings.base, continuedFrom: continuationStart(settings) },
          units: unitRows.map((u) => ({ ...u, bytePerplexity: ppl(u.bitsPerByte) })),
          candidates: candidateRows.map((c) => ({ ...c, proxyBytePerplexity: ppl(c.proxyBitsPerByte) })),
          realUnions: unionRows.map((u) => ({ ...u, proxyBytePerplexity: ppl(u.proxyBitsPerByte), realBytePerplexity: ppl(u.realBitsPerByte) })),
          spearman: Number.isNaN(rho) ? null : rho,
          best: { units: best.units, proxyBitsPerByte: best.proxyBitsPerByte },
        },
        { stage: req.node.id, runId: req.runId },
      );
      const metrics: Record<string, number> = {
        units: units.length,
        candidates: candidates.length,
        best_proxy_bits_per_byte: best.proxyBitsPerByte,
        ...(Number.isNaN(rho) ? {} : { spearman: rho }),
      };
      for (const u of unitRows) metrics[`unit/${u.unit}/bits_per_byte`] = u.bitsPerByte;
      for (const c of candidateRows) metrics[`candidate/${c.units.join('+')}/proxy_bits_per_byte`] = c.proxyBitsPerByte;
      for (const u of unionRows) metrics[`candidate/${u.units.join('+')}/real_bits_per_byte`] = u.realBitsPerByte;
      return { outputs: [{ port: 'report', artifact: report }], metrics, attempt: activityInfo().attempt };
    },
  });
}
