/**
 * `braise logs <runId> [--stage <id>] [--follow]`: a run's stage logs (each stage attempt's lines, kept with the run)
 * oldest first. `--follow` asks again with the cursor every second until the run has ended (completed, failed,
 * cancelled) or paused, then once more for the last lines its stages wrote.
 */
import type { RunService, StageLogEntry } from '../../service/contract.ts';
import { isTerminal } from '../../service/status.ts';
import { withService } from '../connect.ts';
import { EXIT, say } from '../io.ts';

export interface LogsOptions {
  stage?: string;
  follow?: boolean;
  json?: boolean;
  /** Poll interval of --follow, ms (tests shorten it). */
  pollMs?: number;
}

/** `12:04:05.123 base#1 warn  message` (UTC time; the attempt after `#`). */
export function formatLogLine(l: StageLogEntry): string {
  return `${l.time.slice(11, 23)} ${l.stage}#${l.attempt} ${l.level.padEnd(5)} ${l.message}`;
}

/** Prints every line after `cursor` (page after page); returns the cursor past them and how many it printed. */
async function drain(service: RunService, runId: string, opts: LogsOptions, cursor: string | undefined): Promise<{ cursor: string | undefined; printed: number }> {
  let printed = 0;
  for (;;) {
    const page = await service.logs(runId, { ...(opts.stage !== undefined && { stage: opts.stage }), ...(cursor !== undefined && { after: cursor }) });
    for (const l of page.lines) process.stdout.write(opts.json ? `${JSON.stringify(l)}\n` : `${formatLogLine(l)}\n`);
    cursor = page.nextCursor;
    printed += page.lines.length;
    if (page.lines.length === 0) return { cursor, printed };
  }
}

export async function logsCommand(runId: string, opts: LogsOptions): Promise<number> {
  return withService({ queues: [], temporal: !!opts.follow }, async (conn) => {
    const first = await drain(conn.service, runId, opts, undefined);
    let cursor = first.cursor;
    const printed = first.printed;
    if (!opts.follow) {
      if (printed === 0) say(`run ${runId} has no log lines${opts.stage !== undefined ? ` of stage "${opts.stage}"` : ''} (a stage taken from the cache has none: the run that computed it has them)`);
      return EXIT.ok;
    }
    for (;;) {
      const { status } = await conn.service.getRun(runId);
      // The status is read before the lines: whatever a stage wrote before the run ended is in the next drain.
      ({ cursor } = await drain(conn.service, runId, opts, cursor));
      if (isTerminal(status) || status === 'paused') return EXIT.ok;
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
    }
  });
}
