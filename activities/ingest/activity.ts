/** `ingest`: loads one of the recipe's `datasets:` entries into a content-addressed dataset artifact. */
import { activityInfo } from '@temporalio/activity';
import { writeDataset } from '../../datasets/dataset.ts';
import { loadSource, type SourceSpec } from '../../datasets/sources.ts';
import type { ActivityDeps } from '../deps.ts';
import { sorted } from '../errors.ts';
import type { StageRequest, StageResult } from '../types.ts';

export function createIngest(deps: ActivityDeps) {
  return async function ingest(req: StageRequest): Promise<StageResult> {
    return sorted(async () => {
      const spec = req.node.with as SourceSpec;
      const docs = await loadSource(spec, { store: deps.store, cwd: process.cwd() });
      const artifact = await writeDataset(deps.store, docs, { meta: { source: spec.source, dataset: req.node.id } });
      return {
        outputs: [{ port: 'data', artifact }],
        metrics: { docs: docs.length, bytes: Number(artifact.meta.bytes ?? 0) },
        attempt: activityInfo().attempt,
      };
    });
  };
}
