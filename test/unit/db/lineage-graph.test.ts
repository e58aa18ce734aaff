import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LineageNode } from '../../../infra/db/lineage.ts';
import { LineageStore } from '../../../infra/db/lineage.ts';
import { testDatabases } from './databases.ts';
import { OPEN_TIMEOUT_MS, runStage, seedRun, sha } from './fixtures.ts';

/** [artifact id, depth, producing run/stage/kind] — what a user reads off a lineage view. */
type Summary = [string, number, string | null];

function summary(nodes: LineageNode[]): Summary[] {
  return nodes.map((n) => [
    n.artifact.id,
    n.depth,
    n.producedBy ? `${n.producedBy.runId}/${n.producedBy.stageId}/${n.producedBy.kind}` : null,
  ]);
}

const byDepthThenId = (a: Summary, b: Summary) =>
  a[1] - b[1] || a[0].localeCompare(b[0]);

describe.each(testDatabases())('lineage graph on $name', (target) => {
  let store: LineageStore;
  let cleanup: (() => Promise<void>) | undefined;
  const id = {
    prior: sha('prior-export'),
    raw: sha('raw brown a,b'),
    kept: sha('clean kept'),
    rejected: sha('clean rejected'),
    model: sha('base model lr=3e-3'),
    report: sha('eval report'),
    model2: sha('base model lr=1e-3'),
    report2: sha('eval report 2'),
  };

  beforeAll(async () => {
    const t = await target.create();
    cleanup = t.cleanup;
    store = new LineageStore(await t.open());

    // r0 exported a dataset that r1 ingests as `artifact:<id>`: a source, so upstream walks stop before it.
    await seedRun(store, 'r0');
    await runStage(store, { runId: 'r0', stageId: 'make', kind: 'filter', outputs: { kept: [id.prior, 'dataset'] } });

    // r1: ingest → filter → pretrain → evaluate, all computed.
    await seedRun(store, 'r1');
    await runStage(store, { runId: 'r1', stageId: 'web', kind: 'ingest', inputs: { source: id.prior }, outputs: { out: [id.raw, 'dataset'] } });
    await runStage(store, {
      runId: 'r1',
      stageId: 'clean',
      kind: 'filter',
      inputs: { in: id.raw },
      outputs: { kept: [id.kept, 'dataset'], rejected: [id.rejected, 'dataset'] },
    });
    await runStage(store, { runId: 'r1', stageId: 'base', kind: 'pretrain', inputs: { in: id.kept }, outputs: { model: [id.model, 'model'] } });
    await runStage(store, { runId: 'r1', stageId: 'eval', kind: 'evaluate', inputs: { model: id.model }, outputs: { report: [id.report, 'report'] } });

    // r2 reuses ingest and filter from the cache, then trains with another lr.
    await seedRun(store, 'r2');
    await runStage(store, { runId: 'r2', stageId: 'web', kind: 'ingest', status: 'cached', inputs: { source: id.prior }, outputs: { out: [id.raw, 'dataset'] } });
    await runStage(store, {
      runId: 'r2',
      stageId: 'clean',
      kind: 'filter',
      status: 'cached',
      inputs: { in: id.raw },
      outputs: { kept: [id.kept, 'dataset'], rejected: [id.rejected, 'dataset'] },
    });
    // A failed first attempt consumed the same input but produced nothing.
    await runStage(store, { runId: 'r2', stageId: 'base', kind: 'pretrain', status: 'failed', inputs: { in: id.kept } });
    await runStage(store, { runId: 'r2', stageId: 'base', kind: 'pretrain', attempt: 2, inputs: { in: id.kept }, outputs: { model: [id.model2, 'model'] } });
    await runStage(store, { runId: 'r2', stageId: 'eval', kind: 'evaluate', inputs: { model: id.model2 }, outputs: { report: [id.report2, 'report'] } });
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await cleanup?.();
  });

  it('upstream of a report walks back through model and filter to the source dataset', async () => {
    expect(summary(await store.upstream(id.report))).toEqual([
      [id.model, 1, 'r1/base/pretrain'],
      [id.kept, 2, 'r1/clean/filter'],
      [id.raw, 3, 'r1/web/ingest'],
    ]);
  });

  it('upstream through cached steps names the step that computed each artifact', async () => {
    expect(summary(await store.upstream(id.report2))).toEqual([
      [id.model2, 1, 'r2/base/pretrain'],
      [id.kept, 2, 'r1/clean/filter'],
      [id.raw, 3, 'r1/web/ingest'],
    ]);
  });

  it('downstream of a source dataset reaches every derived artifact, each once at its depth', async () => {
    const nodes = await store.downstream(id.raw);
    expect(summary(nodes).sort(byDepthThenId)).toEqual(
      ([
        [id.kept, 1, 'r1/clean/filter'],
        [id.rejected, 1, 'r1/clean/filter'],
        [id.model, 2, 'r1/base/pretrain'],
        [id.model2, 2, 'r2/base/pretrain'],
        [id.report, 3, 'r1/eval/evaluate'],
        [id.report2, 3, 'r2/eval/evaluate'],
      ] satisfies Summary[]).sort(byDepthThenId),
    );
    expect(nodes.find((n) => n.artifact.id === id.model)?.artifact).toMatchObject({ kind: 'model', uri: `file:///artifacts/${id.model}` });
  });

  it('downstream of a model is its reports; a leaf or unknown artifact has neither side', async () => {
    expect(summary(await store.downstream(id.model))).toEqual([[id.report, 1, 'r1/eval/evaluate']]);
    expect(await store.downstream(id.report)).toEqual([]);
    expect(await store.upstream(id.raw)).toEqual([]);
    expect(await store.upstream(sha('never recorded'))).toEqual([]);
  });

  it('a step whose output equals its input (a filter that kept everything) does not loop', async () => {
    await seedRun(store, 'r3');
    await runStage(store, { runId: 'r3', stageId: 'noop', kind: 'filter', inputs: { in: id.kept }, outputs: { kept: [id.kept, 'dataset'] } });
    expect(summary(await store.upstream(id.kept))).toEqual([[id.raw, 1, 'r1/web/ingest']]);
    expect(summary(await store.downstream(id.model)).length).toBe(1);
  });
});
