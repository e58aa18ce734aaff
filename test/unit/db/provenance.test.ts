/**
 * Document provenance on a real database and artifact store: a stage's training order is replaced
 * as a whole (retries and redone steps never duplicate or leave stale windows), and "which
 * checkpoints saw this document" is answered for the dataset named and those derived from it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../service/contract.ts';
import { ArtifactStore } from '../../../datasets/artifact-store.ts';
import { writeDataset } from '../../../datasets/dataset.ts';
import type { Database } from '../../../infra/db/client.ts';
import { LineageStore } from '../../../infra/db/lineage.ts';
import { trainingOrder, type TrainingOrderRow } from '../../../infra/db/schema.ts';
import { documentTraining } from '../../../infra/provenance.ts';
import { testDatabases } from './databases.ts';
import { OPEN_TIMEOUT_MS, runStage, seedRun, sha } from './fixtures.ts';

describe.each(testDatabases())('provenance on $name', (target) => {
  let database: Database;
  let lineage: LineageStore;
  let store: ArtifactStore;
  let storeDir: string;
  let cleanup: (() => Promise<void>) | undefined;
  // ingest → raw (a, b, c); filter keeps a, b → kept; pretrain reads kept.
  let raw: string;
  let kept: string;
  const model = sha('model');

  beforeAll(async () => {
    const t = await target.create();
    cleanup = t.cleanup;
    database = await t.open();
    lineage = new LineageStore(database);
    storeDir = await mkdtemp(join(tmpdir(), 'braise-prov-'));
    store = new ArtifactStore(storeDir);
    const doc = (id: string) => ({ id, text: `text of ${id}` });
    const rawRef = await writeDataset(store, [doc('a'), doc('b'), doc('c/with slash')]);
    const keptRef = await writeDataset(store, [doc('a'), doc('b')]);
    raw = rawRef.id;
    kept = keptRef.id;
    await seedRun(lineage, 'r1');
    await runStage(lineage, { runId: 'r1', stageId: 'web', kind: 'ingest', outputs: { data: [raw, 'dataset'] } });
    await runStage(lineage, { runId: 'r1', stageId: 'clean', kind: 'filter', inputs: { in: raw }, outputs: { kept: [kept, 'dataset'] } });
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await cleanup?.();
    await rm(storeDir, { recursive: true, force: true });
  });

  const row = (checkpointStep: number, seq: number, docId: string, tokenStart: number, tokenEnd: number, runId = 'r1'): TrainingOrderRow => ({
    runId, stageId: 'base', checkpointStep, seq, datasetArtifactId: kept, docId, tokenStart, tokenEnd,
  });
  const rowsOf = async (runId: string) =>
    (await database.db.select({ n: count() }).from(trainingOrder).where(eq(trainingOrder.runId, runId)))[0]!.n;

  it('replaces a stage\'s rows as a whole: repeating it changes nothing, a redone window leaves no stale rows', async () => {
    // Attempt 1 recorded a branch that stopped at step 15 (a graceful stop).
    await lineage.replaceTrainingOrder('r1', 'base', [row(10, 0, 'a', 0, 4), row(15, 0, 'b', 2, 5)]);
    // The final attempt resumed from 10: its chain is 10, 20; replayed twice (a retried activity).
    const final = [row(10, 0, 'a', 0, 4), row(20, 0, 'a', 3, 9), row(20, 1, 'b', 0, 2), row(20, 2, 'b', 6, 8)];
    await lineage.replaceTrainingOrder('r1', 'base', final);
    await lineage.replaceTrainingOrder('r1', 'base', final);
    expect(await rowsOf('r1')).toBe(4);
    const b = await lineage.documentTraining([kept], 'b');
    expect(b.map((w) => [w.checkpointStep, w.fromStep, w.tokenRanges])).toEqual([[20, 10, [[0, 2], [6, 8]]]]);
  });

  it('rejects bad rows, naming the row and field, and changes nothing', async () => {
    await expect(lineage.replaceTrainingOrder('r1', 'base', [row(20, 0, 'a', 5, 5)])).rejects.toThrow('replaceTrainingOrder r1/base: rows[0].tokenEnd (5) must be after tokenStart (5)');
    await expect(lineage.replaceTrainingOrder('r1', 'base', [row(20, 0, 'a', 0, 1), row(20, 0, 'b', 0, 1)])).rejects.toThrow('rows[1]: checkpoint 20 has seq 0 twice');
    await expect(lineage.replaceTrainingOrder('r1', 'base', [{ ...row(20, 0, 'a', 0, 1), datasetArtifactId: sha('nope') }])).rejects.toThrow(`dataset ${sha('nope')} is not a recorded artifact`);
    expect(await rowsOf('r1')).toBe(4);
  });

  it('answers for the dataset named and through datasets derived from it, with the model once the stage completed', async () => {
    expect(await documentTraining(lineage, store, raw, 'a')).toEqual({
      artifactId: raw,
      docId: 'a',
      training: [
        { runId: 'r1', stageId: 'base', datasetArtifactId: kept, fromStep: 0, checkpointStep: 10, tokenRanges: [[0, 4]], modelArtifactId: null },
        { runId: 'r1', stageId: 'base', datasetArtifactId: kept, fromStep: 10, checkpointStep: 20, tokenRanges: [[3, 9]], modelArtifactId: null },
      ],
    });
    await runStage(lineage, { runId: 'r1', stageId: 'base', kind: 'pretrain', inputs: { in: kept }, outputs: { model: [model, 'model'] } });
    const viaKept = await documentTraining(lineage, store, kept, 'a');
    expect(viaKept.training.map((w) => w.modelArtifactId)).toEqual([model, model]);
    // Filtered out: in raw, never trained on.
    expect(await documentTraining(lineage, store, raw, 'c/with slash')).toEqual({ artifactId: raw, docId: 'c/with slash', training: [] });
  });

  it('lists every run that trained on the document, each with its own windows', async () => {
    await seedRun(lineage, 'r2');
    await lineage.replaceTrainingOrder('r2', 'base', [row(5, 0, 'b', 1, 3, 'r2')]);
    const b = await documentTraining(lineage, store, raw, 'b');
    expect(b.training.map((w) => [w.runId, w.checkpointStep])).toEqual([['r1', 20], ['r2', 5]]);
  });

  it('is NotFound for an unknown artifact, a model, or a document the dataset does not hold', async () => {
    await expect(documentTraining(lineage, store, sha('unknown'), 'a')).rejects.toThrow(new NotFoundError(`no artifact "${sha('unknown')}"`));
    await expect(documentTraining(lineage, store, model, 'a')).rejects.toThrow(`artifact "${model}" is a model, not a dataset`);
    await expect(documentTraining(lineage, store, kept, 'c/with slash')).rejects.toThrow(`dataset "${kept}" has no document "c/with slash"`);
  });
});
