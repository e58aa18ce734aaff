/**
 * Follows a run until it ends or pauses, feeding a progress display. The end
 * comes from the service's `awaitRun` (the workflow's result, the moment it
 * closes) where it has one; the progress display and pauses come from
 * polling `getRun`.
 */
import type { RunService } from '../service/contract.ts';
import type { ProgressDisplay } from './progress.ts';
import type { RunView } from '../service/view.ts';

const SETTLED = new Set(['completed', 'failed', 'cancelled', 'paused']);

export async function followRun(service: RunService, runId: string, display: ProgressDisplay, pollMs = 1000): Promise<RunView> {
  let final: RunView | null = null;
  // The wait is cancelled once polling finds the end (or a pause) first, and settles before we return: a gRPC retry
  // left behind would fire on a connection the caller is about to close.
  const stopWaiting = new AbortController();
  // If waiting fails (the server gone for longer than awaitRun rides out), polling alone carries on.
  const waiting: Promise<void> | null =
    service.awaitRun?.(runId, stopWaiting.signal).then(
      (view) => {
        final = view;
      },
      () => {
        ended = null;
      },
    ) ?? null;
  let ended = waiting;
  let failures = 0;
  try {
    for (;;) {
      if (final) {
        display.update(final);
        return final;
      }
      try {
        // A read still in flight when the run ends is not waited for (a query of a closed workflow replays it).
        const read = service.getRun(runId);
        read.catch(() => undefined);
        const view = await Promise.race([read, ...(ended ? [ended.then(() => null)] : [])]);
        if (view === null) continue;
        failures = 0;
        display.update(view);
        if (SETTLED.has(view.status)) return view;
      } catch (err) {
        // A restarting server or database is not the end of the run: keep asking for a while.
        if (++failures > 60) throw err;
      }
      await nextPoll(pollMs, ended);
    }
  } finally {
    stopWaiting.abort();
    await waiting;
    display.stop();
  }
}

/** Sleeps `ms`, or less when the run ends first; leaves no timer behind. */
async function nextPoll(ms: number, ended: Promise<void> | null): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), ...(ended ? [ended] : [])]);
  } finally {
    clearTimeout(timer);
  }
}
