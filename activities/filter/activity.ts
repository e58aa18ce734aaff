/**
 * `filter`: runs the recipe's quality rules in order over every input
 * document (the first rule that rejects names the reason), then exact
 * deduplication over what is left. Outputs `kept` and `rejected` datasets and
 * per-reason counts.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { readDataset, writeDataset } from '../../datasets/dataset.ts';
import type { Doc } from '../../datasets/types.ts';
import type { FilterWith } from '../../recipe/stage-with.ts';
import type { ActivityDeps } from '../deps.ts';
import { sorted } from '../errors.ts';
import type { StageRequest, StageResult } from '../types.ts';
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

/** The filter itself, over documents in memory; yields to the event loop so heartbeats keep flowing. */
export async function filterDocs(docs: AsyncIterable<Doc> | Iterable<Doc>, settings: FilterWith, onProgress?: (n: number) => void): Promise<FilterOutcome> {
  const rules = rulesFrom(settings.rules);
  const dedup = settings.dedup.exact ? new ExactDedup() : null;
  const kept: Doc[] = [];
  const rejected: Doc[] = [];
  const counts: Record<string, number> = {};
  let n = 0;
  for await (const original of docs) {
    let doc = original;
    let reason: { rule: string; reason: string } | null = null;
    for (const rule of rules) {
      const r = rule.check(doc);
      if (!r.keep) {
        reason = { rule: rule.name, reason: r.reason };
        break;
      }
      // Some rules (C4) drop lines and keep the rest of the document.
      if (r.text !== undefined && r.text !== doc.text) doc = { ...doc, text: r.text };
    }
    if (!reason && dedup) {
      const r = dedup.seen(doc);
      if (!r.keep) reason = { rule: 'exact-dedup', reason: r.reason };
    }
    if (reason) {
      counts[reason.reason] = (counts[reason.reason] ?? 0) + 1;
      rejected.push({ ...original, meta: { ...original.meta, rejectedBy: reason.rule, rejectionReason: reason.reason } });
    } else {
      kept.push(doc);
    }
    if (++n % 100 === 0) {
      onProgress?.(n);
      await yieldToLoop();
    }
  }
  return { kept, rejected, counts };
}

export function createFilter(deps: ActivityDeps) {
  return async function filter(req: StageRequest): Promise<StageResult> {
    return sorted(async () => {
      const settings = req.node.with as FilterWith;
      const store = deps.store;
      async function* all(): AsyncGenerator<Doc> {
        for (const input of req.inputs) if ((input.role ?? 'data') === 'data') yield* readDataset(store, input.artifact.id);
      }
      const { kept, rejected, counts } = await filterDocs(all(), settings, (n) => heartbeat({ docs: n }));
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
    });
  };
}
