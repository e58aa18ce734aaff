/**
 * Single flight's claims (stage_claims): one run claims a cache key, the others are told who holds it; the holder
 * releases it; a takeover of an abandoned claim is won by one caller only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../infra/db/client.ts';
import { LineageStore } from '../../../infra/db/lineage.ts';
import { testDatabases } from './databases.ts';
import { OPEN_TIMEOUT_MS, sha } from './fixtures.ts';

describe.each(testDatabases())('stage claims on $name', (target) => {
  let database: Database;
  let store: LineageStore;
  let cleanup: (() => Promise<void>) | undefined;
  const a = { runId: 'r-a', workflowId: 'wf-a', stageId: 'clean' };
  const b = { runId: 'r-b', workflowId: 'wf-b', stageId: 'clean' };
  const c = { runId: 'r-c', workflowId: 'wf-c', stageId: 'filtered' };

  beforeAll(async () => {
    const t = await target.create();
    cleanup = t.cleanup;
    database = await t.open();
    store = new LineageStore(database);
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await cleanup?.();
  });

  it('claims a key once: concurrent claimers all see the same holder, a repeated claim by it keeps it', async () => {
    const key = sha('claim-once');
    const holders = await Promise.all([store.claimStage(key, a), store.claimStage(key, b), store.claimStage(key, c)]);
    const [first] = holders;
    expect(holders).toEqual([first, first, first]);
    expect(await store.claimStage(key, first!)).toEqual(first);
    expect(await store.stageClaim(key)).toEqual(first);
  });

  it('a release by another run or stage changes nothing; the holder’s frees the key for the next claimer', async () => {
    const key = sha('claim-release');
    expect(await store.claimStage(key, a)).toEqual(a);
    await store.releaseStageClaim(key, b.runId, a.stageId);
    await store.releaseStageClaim(key, a.runId, 'other-stage');
    expect(await store.claimStage(key, b)).toEqual(a);
    await store.releaseStageClaim(key, a.runId, a.stageId);
    await store.releaseStageClaim(key, a.runId, a.stageId);
    expect(await store.stageClaim(key)).toBeNull();
    expect(await store.claimStage(key, b)).toEqual(b);
  });

  it('an abandoned claim is taken over by one of the callers that race for it', async () => {
    const key = sha('claim-takeover');
    await store.claimStage(key, a);
    const moved = await Promise.all([store.takeOverStageClaim(key, a, b), store.takeOverStageClaim(key, a, c)]);
    expect(moved.filter(Boolean)).toHaveLength(1);
    const winner = moved[0] ? b : c;
    expect(await store.stageClaim(key)).toEqual(winner);
    // The old holder's late release no longer touches the new holder's claim.
    await store.releaseStageClaim(key, a.runId, a.stageId);
    expect(await store.stageClaim(key)).toEqual(winner);
  });
});
