/**
 * Stage logs: each stage attempt's log lines (the `stage_logs` table), written in batches by the activity's stage
 * log (activities/stage-log.ts) and read a page at a time by `braise logs` / `GET /v1/runs/:id/logs`.
 *
 * A reader's cursor is the last `seq` it has seen of every (stage, attempt): each attempt's lines are numbered by its
 * one writer, which writes its batches in order, so "after the cursor" is exact even when another stage's batch (or
 * another worker's) commits later with earlier timestamps. An ordering by one global id would skip such a batch.
 */
import { and, asc, eq, gt, max, not, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { BraiseDb } from './client.ts';
import { stageLogs, type StageLogRow } from './schema.ts';

/** Rows per INSERT (7 columns: far under Postgres's bind-parameter limit). */
const BATCH = 500;

/** The last `seq` read of each stage attempt: `[stageId, attempt, seq]`. */
export type LogCursor = Array<[string, number, number]>;

const cursorSchema = z.array(z.tuple([z.string().min(1), z.number().int().min(1), z.number().int().min(0)])).max(10_000);

export function encodeLogCursor(c: LogCursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

/** The cursor, or null when `cursor` is not one {@link encodeLogCursor} made. */
export function decodeLogCursor(cursor: string): LogCursor | null {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Inserts log lines; a line already stored (same run, stage, attempt, seq) is left as it is. */
export async function appendStageLogs(db: BraiseDb, rows: readonly StageLogRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) {
    await db.insert(stageLogs).values(rows.slice(i, i + BATCH)).onConflictDoNothing();
  }
}

/** The seq after the last stored line of this stage attempt, 0 when it has none. */
export async function nextStageLogSeq(db: BraiseDb, runId: string, stageId: string, attempt: number): Promise<number> {
  const [row] = await db
    .select({ last: max(stageLogs.seq) })
    .from(stageLogs)
    .where(and(eq(stageLogs.runId, runId), eq(stageLogs.stageId, stageId), eq(stageLogs.attempt, attempt)));
  return row?.last === null || row?.last === undefined ? 0 : row.last + 1;
}

/** A page of a run's log lines after `after`, oldest first, and the cursor that follows it. */
export async function stageLogsForRun(
  db: BraiseDb,
  runId: string,
  q: { stage?: string; after?: LogCursor; limit: number },
): Promise<{ lines: StageLogRow[]; cursor: LogCursor }> {
  const where: Array<SQL | undefined> = [eq(stageLogs.runId, runId)];
  if (q.stage !== undefined) where.push(eq(stageLogs.stageId, q.stage));
  const seen = q.after ?? [];
  if (seen.length > 0) {
    const same = ([stage, attempt]: [string, number, number]) => and(eq(stageLogs.stageId, stage), eq(stageLogs.attempt, attempt));
    where.push(or(not(or(...seen.map(same))!), ...seen.map((s) => and(same(s), gt(stageLogs.seq, s[2])))));
  }
  const lines = await db
    .select()
    .from(stageLogs)
    .where(and(...where))
    .orderBy(asc(stageLogs.at), asc(stageLogs.stageId), asc(stageLogs.attempt), asc(stageLogs.seq))
    .limit(q.limit);
  const last = new Map(seen.map(([stage, attempt, seq]) => [`${attempt} ${stage}`, [stage, attempt, seq] as [string, number, number]]));
  for (const l of lines) {
    const key = `${l.attempt} ${l.stageId}`;
    if ((last.get(key)?.[2] ?? -1) < l.seq) last.set(key, [l.stageId, l.attempt, l.seq]);
  }
  return { lines, cursor: [...last.values()] };
}
