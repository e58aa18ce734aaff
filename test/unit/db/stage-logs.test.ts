/** Stage logs in lineage: idempotent appends, and a cursor that misses no line, even one committed late. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../infra/db/client.ts';
import { LineageStore } from '../../../infra/db/lineage.ts';
import { decodeLogCursor, encodeLogCursor } from '../../../infra/db/stage-logs.ts';
import type { StageLogRow } from '../../../infra/db/schema.ts';
import { testDatabases } from './databases.ts';
import { OPEN_TIMEOUT_MS, seedRun } from './fixtures.ts';

const line = (stageId: string, seq: number, atMs: number, attempt = 1): StageLogRow => ({
  runId: 'logs-run',
  stageId,
  attempt,
  seq,
  at: new Date(Date.UTC(2026, 0, 1) + atMs),
  level: 'info',
  message: `${stageId}#${attempt} ${seq}`,
});

describe.each(testDatabases())('stage logs on $name', (target) => {
  let database: Database;
  let store: LineageStore;
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const t = await target.create();
    cleanup = t.cleanup;
    database = await t.open();
    store = new LineageStore(database);
    await seedRun(store, 'logs-run');
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => cleanup?.());

  it('pages by cursor, keeps lines written twice once, and returns a batch committed after the cursor with earlier times', async () => {
    expect(await store.nextStageLogSeq('logs-run', 'a', 1)).toBe(0);
    await store.appendStageLogs([line('a', 0, 0), line('a', 1, 10), line('a', 2, 20)]);
    await store.appendStageLogs([line('a', 1, 10), line('a', 2, 20)]); // a retried batch
    expect(await store.nextStageLogSeq('logs-run', 'a', 1)).toBe(3);

    const first = await store.stageLogsForRun('logs-run', { limit: 2 });
    expect(first.lines.map((l) => l.message)).toEqual(['a#1 0', 'a#1 1']);
    const second = await store.stageLogsForRun('logs-run', { after: first.cursor, limit: 10 });
    expect(second.lines.map((l) => l.message)).toEqual(['a#1 2']);

    // Stage b's first batch reaches the database now, its lines older than what the reader has seen of a.
    await store.appendStageLogs([line('b', 0, 5), line('b', 1, 15), line('a', 0, 30, 2)]);
    const third = await store.stageLogsForRun('logs-run', { after: second.cursor, limit: 10 });
    expect(third.lines.map((l) => l.message)).toEqual(['b#1 0', 'b#1 1', 'a#2 0']);
    const empty = await store.stageLogsForRun('logs-run', { after: third.cursor, limit: 10 });
    expect(empty.lines).toEqual([]);
    expect(decodeLogCursor(encodeLogCursor(empty.cursor))).toEqual(empty.cursor);

    const onlyB = await store.stageLogsForRun('logs-run', { stage: 'b', limit: 10 });
    expect(onlyB.lines.map((l) => l.message)).toEqual(['b#1 0', 'b#1 1']);
  });

  it('refuses cursors it did not make', () => {
    expect(decodeLogCursor('nope')).toBeNull();
    expect(decodeLogCursor(Buffer.from('[["a",0,1]]').toString('base64url'))).toBeNull();
    expect(decodeLogCursor(Buffer.from('{"a":1}').toString('base64url'))).toBeNull();
  });
});
