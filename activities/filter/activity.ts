/**
 * `filter`: the quality pipeline over every input document, in order —
 * license allow-list, the recipe's heuristic rules (the first rule that
 * rejects names the reason), n-gram decontamination against evaluation sets,
 * exact then MinHash near-duplicate removal, and finally the learned quality
 * classifier trained here on the recipe's high/low examples. Outputs `kept`
 * and `rejected` (each rejected document says by what and why) and
 * per-reason counts.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { readDataset, readDatasetAll, writeDataset } from '../../datasets/dataset.ts';
import type { Doc } from '../../datasets/types.ts';
import type { FilterWith } from '../../recipe/stage-with.ts';
import type { ActivityDeps } from '../deps.ts';
import { stageActivity } from '../stage-activity.ts';
import { filterStage } from '../../recipe/stages/filter.ts';
import { StageInputError } from '../errors.ts';
import type { StageInput, StageRequest } from '../types.ts';
import { Decontaminator, evalItemsFromDocs } from './decontaminate.ts';
import { createLicenseRule } from './license.ts';
import { MinHashDeduper } from './minhash.ts';
import { selectByQuality, trainQualityClassifier, type QualityModel } from './quality-classifier.ts';
import { createRule, ExactDedup, type FilterRule, type RuleName } from './rules/index.ts';

/** Builds the rule list from the recipe's `rules:` entries (`name` or `{ name: options }`). */
export function rulesFrom(entries: FilterWith['rules']): FilterRule[] {
  return entries.map((entry) => {
    if (typeof entry === 'string') return createRule(entry);
    const [name, options] = Object.entries(entry)[0] as [RuleName, unknown];
    return createRule(name, options ?? {});
  });
}

export interface FilterOutcome {
  kept: Doc[];
  rejected: Doc[];
  counts: Record<string, number>;
}

/** What the pipeline needs besides the documents: evaluation items and a trained classifier, when configured. */
export interface FilterContext {
  evalDocs?: Doc[];
  classifier?: QualityModel;
  onProgress?: (n: number) => void;
}

/** The filter over documents in memory; yields to the event loop so heartbeats keep flowing. */
export async function filterDocs(docs: AsyncIterable<Doc> | Iterable<Doc>, settings: FilterWith, ctx: FilterContext = {}): Promise<FilterOutcome> {
  const rules = [...(settings.license ? [createLicenseRule(settings.license)] : []), ...rulesFrom(settings.rules)];
  const decontaminator = settings.decontaminate && ctx.evalDocs ? new Decontaminator(evalItemsFromDocs(ctx.evalDocs), { ngram: settings.decontaminate.ngram }) : null;
  const exact = settings.dedup.exact ? new ExactDedup() : null;
  const minhash = settings.dedup.minhash ? new MinHashDeduper(settings.dedup.minhash) : null;
  let kept: Doc[] = [];
  const rejected: Doc[] = [];
  const counts: Record<string, number> = {};
  const reject = (doc: Doc, rule: string, reason: string, extra: Record<string, unknown> = {}) => {
    counts[reason] = (counts[reason] ?? 0) + 1;
    rejected.push({ ...doc, meta: { ...doc.meta, rejectedBy: rule, rejectionReason: reason, ...extra } });
  };
  let n = 0;
  for await (const original of docs) {
    let doc = original;
    let done = false;
    for (const rule of rules) {
      const r = rule.check(doc);
      if (!r.keep) {
        reject(original, rule.name, r.reason);
        done = true;
        break;
      }
      // Some rules (C4) drop lines and keep the rest of the document.
      if (r.text !== undefined && r.text !== doc.text) doc = { ...doc, text: r.text };
    }
    if (!done && decontaminator) {
      const c = decontaminator.check(doc);
      if (c.contaminated) {
        reject(original, 'decontaminate', 'contaminated', { contamination: c.matches.slice(0, 20) });
        done = true;
      }
    }
    if (!done && exact) {
      const r = exact.seen(doc);
      if (!r.keep) {
        reject(original, 'exact-dedup', r.reason);
        done = true;
      }
    }
    if (!done && minhash) {
      const twin = minhash.add(doc.id, doc.text);
      if (twin !== null) {
        reject(original, 'minhash-dedup', 'near_duplicate', { duplicateOf: twin });
        done = true;
      }
    }
    if (!done) kept.push(doc);
    if (++n % 50 === 0) {
      ctx.onProgress?.(n);
      await yieldToLoop();
    }
  }
  if (ctx.classifier && settings.classifier) {
    const selected = selectByQuality(kept, ctx.classifier, { threshold: settings.classifier.threshold, keepTopFraction: settings.classifier.keepTopFraction });
    kept = selected.kept;
    for (const r of selected.rejected) {
      counts.low_quality = (counts.low_quality ?? 0) + 1;
      rejected.push(r);
    }
  }
  return { kept, rejected, counts };
}

/** Documents of the inputs with the given role. */
async function docsOf(deps: ActivityDeps, inputs: StageInput[], role: string): Promise<Doc[]> {
  const out: Doc[] = [];
  for (const i of inputs) if ((i.role ?? 'data') === role) out.push(...(await readDatasetAll(deps.store, i.artifact.id)));
  return out;
}

/** Trains the stage's quality classifier on its `high` and `low` inputs (null when none is configured). */
export async function classifierFor(deps: ActivityDeps, req: StageRequest, settings: { classifier?: { epochs: number; seed: number } }): Promise<QualityModel | null> {
  if (!settings.classifier) return null;
  const high = await docsOf(deps, req.inputs, 'high');
  const low = await docsOf(deps, req.inputs, 'low');
  if (high.length === 0 || low.length === 0) {
    throw new StageInputError(`${req.node.kind} "${req.node.id}": the quality classifier needs high and low examples (got ${high.length} and ${low.length} documents)`);
  }
  return trainQualityClassifier(high, low, { epochs: settings.classifier.epochs, seed: settings.classifier.seed });
}

export function createFilter(deps: ActivityDeps) {
  return stageActivity(filterStage, {
    async run({ req, settings }) {
      const store = deps.store;
      async function* all(): AsyncGenerator<Doc> {
        for (const input of req.inputs) if ((input.role ?? 'data') === 'data') yield* readDataset(store, input.artifact.id);
      }
      const evalDocs = settings.decontaminate ? await docsOf(deps, req.inputs, 'eval') : undefined;
      const classifier = (await classifierFor(deps, req, settings)) ?? undefined;
      const { kept, rejected, counts } = await filterDocs(all(), settings, { evalDocs, classifier, onProgress: (n) => heartbeat({ docs: n }) });
      const meta = { stage: req.node.id, runId: req.runId };
      const keptRef = await writeDataset(store, kept, { meta: { ...meta, port: 'kept' } });
      const rejectedRef = await writeDataset(store, rejected, { meta: { ...meta, port: 'rejected' } });
      const total = kept.length + rejected.length;
      const metrics: Record<string, number> = { docs: total, kept: kept.length, rejected: rejected.length, kept_fraction: total ? kept.length / total : 0 };
      for (const [reason, count] of Object.entries(counts)) metrics[`rejected/${reason}`] = count;
      return {
        outputs: [
          { port: 'kept', artifact: keptRef },
          { port: 'rejected', artifact: rejectedRef },
        ],
        metrics,
        attempt: activityInfo().attempt,
      };
    },
  });
}
