/**
 * A stage attempt's log, kept with its run in lineage (`stage_logs`) for `braise logs` and `GET /v1/runs/:id/logs`.
 *
 * One chokepoint: createActivities wraps every stage activity in {@link withStageLog}, which writes the attempt's
 * start and end (or error) and makes the log current for everything the attempt does (AsyncLocalStorage). Lines
 * arrive three ways: this module's own, a training stage's progress summaries ({@link stageLog}), and every line the
 * worker's logger writes while the attempt runs (the process logger tees info and above into {@link stageLogSink};
 * a trainer child's log messages and its stdout/stderr lines go through that logger).
 *
 * Logging never slows or fails a stage: lines are buffered and written in batches (a timer, or a full batch), one
 * write at a time, and a failed write drops its lines with one warning. An attempt keeps at most
 * {@link STAGE_LOG_LIMITS} (lines, bytes, each line cut at `lineChars`); past that, lines are counted, and the last
 * line says how many were dropped.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Context } from '@temporalio/activity';
import type { StageLogLine } from '../service/lineage.ts';
import type { ActivityDeps } from './deps.ts';
import type { StageRequest } from './types.ts';

/** What one stage attempt's log keeps. */
export const STAGE_LOG_LIMITS = { lines: 2000, bytes: 256 * 1024, lineChars: 4096 } as const;

export type StageLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface StageLogOptions {
  runId: string;
  stageId: string;
  attempt: number;
  /** The first line's seq: after the lines an earlier round of the same attempt number wrote (an in-place resume). */
  firstSeq: number;
  write(lines: StageLogLine[]): Promise<void>;
  /** Called once, on the first write that failed (its lines are dropped). */
  onWriteError(err: unknown): void;
  limits?: { lines: number; bytes: number; lineChars: number };
  flushMs?: number;
  batchLines?: number;
}

/** The buffered, capped log of one stage attempt. */
export class StageLog {
  private seq: number;
  private kept = 0;
  private bytes = 0;
  private dropped = 0;
  private droppedBytes = 0;
  private lastAt = 0;
  private pending: StageLogLine[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private warned = false;
  private closed = false;
  private readonly limits: { lines: number; bytes: number; lineChars: number };

  constructor(private readonly opts: StageLogOptions) {
    this.seq = opts.firstSeq;
    this.limits = opts.limits ?? STAGE_LOG_LIMITS;
  }

  /** Adds a line (cut to the line limit; counted, not kept, once the attempt's cap is reached). */
  add(level: StageLogLevel, text: string): void {
    if (this.closed) return;
    const message = text.length > this.limits.lineChars ? `${text.slice(0, this.limits.lineChars)}… (${text.length - this.limits.lineChars} more characters)` : text;
    const size = Buffer.byteLength(message);
    // One line is kept back for the note that says what was dropped.
    if (this.kept >= this.limits.lines - 1 || this.bytes + size > this.limits.bytes - 256) {
      this.dropped++;
      this.droppedBytes += size;
      return;
    }
    this.push(level, message, size);
  }

  private push(level: StageLogLevel, message: string, size: number): void {
    this.kept++;
    this.bytes += size;
    // Never earlier than the line before: a reader pages by time within an attempt (infra/db/stage-logs.ts).
    this.lastAt = Math.max(this.lastAt, Date.now());
    this.pending.push({ runId: this.opts.runId, stageId: this.opts.stageId, attempt: this.opts.attempt, seq: this.seq++, at: new Date(this.lastAt), level, message });
    if (this.pending.length >= (this.opts.batchLines ?? 100)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.flushMs ?? 1000).unref();
  }

  /** Writes what is buffered (after any write in flight); never rejects. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const lines = this.pending;
    this.pending = [];
    if (lines.length > 0) {
      this.writing = this.writing.then(() =>
        this.opts.write(lines).catch((err: unknown) => {
          if (!this.warned) this.opts.onWriteError(err);
          this.warned = true;
        }),
      );
    }
    return this.writing;
  }

  /** Says what was dropped, writes the rest, and takes no more lines; waits at most `waitMs` for the write. */
  async close(waitMs = 5000): Promise<void> {
    if (this.closed) return;
    if (this.dropped > 0) {
      const { lines, bytes } = this.limits;
      const note = `log truncated: ${this.dropped} more line(s) (${this.droppedBytes} bytes) dropped; a stage attempt keeps at most ${lines} lines / ${Math.round(bytes / 1024)} KiB`;
      this.push('warn', note, Buffer.byteLength(note));
    }
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((r) => (timer = setTimeout(r, waitMs).unref()))]);
    clearTimeout(timer);
  }
}

const current = new AsyncLocalStorage<StageLog>();

/** The log of the stage attempt running in this async context, if any. */
export function stageLog(): StageLog | undefined {
  return current.getStore();
}

const PINO_LEVELS: Record<number, StageLogLevel> = { 10: 'debug', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'error' };

/**
 * A pino destination (`{ write(line) }`) that adds each JSON log line written inside a stage attempt to its log: the
 * message, and an error's message when the line carries one. Lines written outside any attempt are ignored.
 */
export const stageLogSink = {
  write(line: string): void {
    const log = current.getStore();
    if (!log) return;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof entry !== 'object' || entry === null) return;
    const { level, msg, err } = entry as { level?: unknown; msg?: unknown; err?: unknown };
    const errMessage = typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string' ? err.message : null;
    const text = [typeof msg === 'string' ? msg : '', errMessage].filter(Boolean).join(': ');
    if (text) log.add((typeof level === 'number' && PINO_LEVELS[level]) || 'info', text);
  },
};

/** A one-line summary of an error for the log. */
function errorLine(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Runs one stage attempt with its log current: a start line, then `fn`, then a line with its duration and metrics
 * (or its error), the rest flushed before the activity returns. A failing log write never reaches `fn`'s result.
 */
export async function withStageLog<T extends { metrics?: Record<string, number> }>(deps: ActivityDeps, req: StageRequest, fn: () => Promise<T>): Promise<T> {
  const attempt = Context.current().info.attempt;
  const firstSeq = await deps.lineage.nextStageLogSeq(req.runId, req.node.id, attempt).catch(() => 0);
  const log = new StageLog({
    runId: req.runId,
    stageId: req.node.id,
    attempt,
    firstSeq,
    write: (lines) => deps.lineage.appendStageLogs(lines),
    onWriteError: (err) => deps.logger.warn(`stage log of ${req.runId}/${req.node.id}: a write failed, its lines are dropped (${errorLine(err).split('\n')[0]})`),
  });
  const started = Date.now();
  log.add('info', `${req.node.kind} "${req.node.id}" attempt ${attempt} started on ${Context.current().info.taskQueue}`);
  try {
    const result = await current.run(log, fn);
    const metrics = Object.entries(result.metrics ?? {})
      .slice(0, 12)
      .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toPrecision(4)}`)
      .join(' ');
    log.add('info', `completed in ${((Date.now() - started) / 1000).toFixed(1)}s${metrics ? `: ${metrics}` : ''}`);
    return result;
  } catch (err) {
    log.add('error', `failed after ${((Date.now() - started) / 1000).toFixed(1)}s: ${errorLine(err)}`);
    throw err;
  } finally {
    await log.close();
  }
}
