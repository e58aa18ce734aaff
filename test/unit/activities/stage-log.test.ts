/** A stage attempt's log: capped with a note, batched, written in order, a failed write dropping only its lines. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../../activities/deps.ts';
import { StageLog, stageLogSink, withStageLog } from '../../../activities/stage-log.ts';
import type { StageLogLine } from '../../../service/lineage.ts';
import { stageRequest } from '../rewrite/stage-env.ts';

function memoryLog(opts: { fail?: (batch: number) => boolean; limits?: { lines: number; bytes: number; lineChars: number }; firstSeq?: number } = {}) {
  const written: StageLogLine[] = [];
  const warnings: string[] = [];
  let batches = 0;
  const log = new StageLog({
    runId: 'r1',
    stageId: 'base',
    attempt: 2,
    firstSeq: opts.firstSeq ?? 0,
    write: async (lines) => {
      if (opts.fail?.(batches++)) throw new Error('connection reset');
      written.push(...lines);
    },
    onWriteError: (err) => warnings.push(String(err)),
    batchLines: 3,
    flushMs: 10,
    ...(opts.limits && { limits: opts.limits }),
  });
  return { log, written, warnings };
}

describe('StageLog', () => {
  it('numbers lines from firstSeq, in batches, and keeps at most the cap with a last line saying what it dropped', async () => {
    const { log, written } = memoryLog({ firstSeq: 7, limits: { lines: 5, bytes: 1 << 20, lineChars: 10 } });
    for (let i = 0; i < 9; i++) log.add('info', `line ${i}`);
    log.add('warn', 'x'.repeat(25));
    await log.close();
    expect(written.map((l) => l.seq)).toEqual([7, 8, 9, 10, 11]);
    expect(written.slice(0, 4).map((l) => l.message)).toEqual(['line 0', 'line 1', 'line 2', 'line 3']);
    expect(written[4]!.level).toBe('warn');
    expect(written[4]!.message).toMatch(/^log truncated: 6 more line\(s\) \(\d+ bytes\) dropped; a stage attempt keeps at most 5 lines/);
    expect(written.every((l, i) => i === 0 || l.at >= written[i - 1]!.at)).toBe(true);
    expect(new Set(written.map((l) => `${l.runId}/${l.stageId}/${l.attempt}`))).toEqual(new Set(['r1/base/2']));
  });

  it('cuts a long line and counts bytes against the cap', async () => {
    const { log, written } = memoryLog({ limits: { lines: 100, bytes: 256 + 60, lineChars: 20 } });
    log.add('info', 'y'.repeat(50));
    log.add('info', 'z'.repeat(30));
    await log.close();
    expect(written[0]!.message).toBe(`${'y'.repeat(20)}… (30 more characters)`);
    expect(written.at(-1)!.message).toMatch(/^log truncated: 1 more line/);
  });

  it('drops the lines of a failed write, warns once, and still writes the later ones', async () => {
    const { log, written, warnings } = memoryLog({ fail: (b) => b <= 1 });
    for (let i = 0; i < 9; i++) log.add('info', `line ${i}`);
    await log.close();
    expect(written.map((l) => l.message)).toEqual(['line 6', 'line 7', 'line 8']);
    expect(warnings).toEqual(['Error: connection reset']);
  });
});

describe('withStageLog', () => {
  function deps(written: StageLogLine[]): ActivityDeps {
    return {
      lineage: { nextStageLogSeq: async () => 3, appendStageLogs: async (lines: StageLogLine[]) => void written.push(...lines) },
      logger: pino({ level: 'info' }, stageLogSink),
    } as unknown as ActivityDeps;
  }

  it("writes the attempt's start, what its logger says while it runs, and its end; the logger outside it writes nothing there", async () => {
    const written: StageLogLine[] = [];
    const d = deps(written);
    const req = stageRequest('base', 'pretrain', {}, []);
    const result = await new MockActivityEnvironment({ attempt: 2 }).run(() =>
      withStageLog(d, req, async () => {
        d.logger.info('reading 3 shards');
        d.logger.warn({ err: new Error('disk slow') }, 'retrying a read');
        await new Promise((r) => setTimeout(r, 5));
        d.logger.debug('not kept');
        return { outputs: [], metrics: { steps: 20, final_loss: 1.23456 } };
      }),
    );
    d.logger.info('after the attempt');
    expect(result).toMatchObject({ metrics: { steps: 20 } });
    expect(written.map((l) => [l.seq, l.level, l.message])).toEqual([
      [3, 'info', expect.stringMatching(/^pretrain "base" attempt 2 started on /)],
      [4, 'info', 'reading 3 shards'],
      [5, 'warn', 'retrying a read: disk slow'],
      [6, 'info', expect.stringMatching(/^completed in \d+\.\ds: steps=20 final_loss=1\.235$/)],
    ]);
    expect(written.every((l) => l.attempt === 2 && l.stageId === 'base')).toBe(true);
  });

  it('writes the error of a failed attempt and rethrows it', async () => {
    const written: StageLogLine[] = [];
    const req = stageRequest('clean', 'filter', {}, []);
    await expect(
      new MockActivityEnvironment().run(() =>
        withStageLog(deps(written), req, async () => {
          throw new TypeError('bad shard');
        }),
      ),
    ).rejects.toThrow('bad shard');
    expect(written.at(-1)).toMatchObject({ level: 'error', message: expect.stringMatching(/^failed after \d+\.\ds: TypeError: bad shard$/) });
  });
});
