/**
 * `RunService.logs`: a page of a run's stage logs from lineage (infra/db/stage-logs.ts), in the contract's shape,
 * with the cursor checked here so a bad one is a 422 / exit 2 naming it, whoever asks.
 */
import { InvalidInputError, type RunLogs, type RunLogsQuery, type StageLogEntry } from '../service/contract.ts';
import type { LineageStore } from './db/lineage.ts';
import { decodeLogCursor, encodeLogCursor } from './db/stage-logs.ts';

/** Lines a page holds: the default and the most. */
export const LOG_PAGE = { min: 1, max: 5000, default: 1000 } as const;

const LEVELS: ReadonlyArray<StageLogEntry['level']> = ['debug', 'info', 'warn', 'error'];
const isLevel = (level: string): level is StageLogEntry['level'] => (LEVELS as readonly string[]).includes(level);

/** Run `runId`'s log lines after `q.after`; the caller has checked the run exists. */
export async function runLogs(lineage: LineageStore, runId: string, q: RunLogsQuery): Promise<RunLogs> {
  const limit = q.limit ?? LOG_PAGE.default;
  if (!Number.isInteger(limit) || limit < LOG_PAGE.min || limit > LOG_PAGE.max) {
    throw new InvalidInputError([{ path: 'limit', message: `must be an integer from ${LOG_PAGE.min} to ${LOG_PAGE.max}, got ${limit}` }], 'invalid limit');
  }
  const after = q.after === undefined ? undefined : decodeLogCursor(q.after);
  if (after === null) throw new InvalidInputError([{ path: 'after', message: 'not a cursor from this run\'s logs: pass `nextCursor` of the previous page unchanged' }], 'invalid cursor');
  const page = await lineage.stageLogsForRun(runId, { ...(q.stage !== undefined && { stage: q.stage }), ...(after && { after }), limit });
  const lines: StageLogEntry[] = page.lines.map((l) => ({
    stage: l.stageId,
    attempt: l.attempt,
    seq: l.seq,
    time: l.at.toISOString(),
    level: isLevel(l.level) ? l.level : 'info',
    message: l.message,
  }));
  return { runId, lines, nextCursor: encodeLogCursor(page.cursor) };
}
