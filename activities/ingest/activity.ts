/**
 * `ingest`: loads one of the recipe's `datasets:` entries into a content-addressed dataset artifact.
 * Streams from the source into the shards, one document at a time, under the worker's ingest limits;
 * a `file:` source is opened only inside the data roots its run was started with (set by the trusted
 * starter, read back from the run's record, never from the recipe).
 */
import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import { z } from 'zod';
import type { DataRoots } from '../../datasets/data-roots.ts';
import { writeDataset } from '../../datasets/dataset.ts';
import { iterateSource } from '../../datasets/sources.ts';
import type { Doc } from '../../datasets/types.ts';
import type { ActivityDeps } from '../deps.ts';
import { stageActivity } from '../stage-activity.ts';
import { ingestStage } from '../../recipe/stages/ingest.ts';

const runOptionsSchema = z.looseObject({ dataRoots: z.array(z.string()).optional() });

/**
 * The roots a run's `file:` sources may read: those its starter recorded in the run's options. A run
 * started directly on Temporal with none (a script, a test), or one this worker's lineage database does
 * not know, gets this worker's own `BRAISE_DATA_ROOTS`, or no restriction; unreadable options get no
 * roots at all.
 */
export async function runDataRoots(deps: Pick<ActivityDeps, 'lineage' | 'config'>, runId: string): Promise<DataRoots> {
  const run = await deps.lineage.getRun(runId);
  const options = runOptionsSchema.safeParse(run?.options ?? {});
  if (!options.success) return [];
  return options.data.dataRoots ?? deps.config.dataRoots ?? null;
}

/** Passes documents through, heartbeating now and then so a long ingest stays visibly alive and cancellable. */
async function* heartbeating(docs: AsyncIterable<Doc>): AsyncGenerator<Doc> {
  let n = 0;
  for await (const doc of docs) {
    n += 1;
    if (n % 256 === 0) heartbeat({ docs: n });
    yield doc;
  }
}

export function createIngest(deps: ActivityDeps) {
  return stageActivity(ingestStage, {
    async run({ req, settings: spec }) {
      const dataRoots = spec.source.startsWith('file:') ? await runDataRoots(deps, req.runId) : null;
      const docs = iterateSource(spec, {
        store: deps.store,
        cwd: process.cwd(),
        dataRoots,
        limits: deps.config.ingestLimits,
        signal: Context.current().cancellationSignal,
      });
      const artifact = await writeDataset(deps.store, heartbeating(docs), { meta: { source: spec.source, dataset: req.node.id } });
      return {
        outputs: [{ port: 'data', artifact }],
        metrics: { docs: Number(artifact.meta.docs ?? 0), bytes: Number(artifact.meta.bytes ?? 0) },
        attempt: activityInfo().attempt,
      };
    },
  });
}
