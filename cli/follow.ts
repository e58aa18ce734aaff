/** Follows a run until it ends or pauses, feeding a progress display. */
import type { RunService } from '../api/service.ts';
import type { ProgressDisplay } from './progress.ts';
import type { RunView } from './view.ts';

const SETTLED = new Set(['completed', 'failed', 'cancelled', 'paused']);

export async function followRun(service: RunService, runId: string, display: ProgressDisplay, pollMs = 1000): Promise<RunView> {
  let failures = 0;
  for (;;) {
    try {
      const view = await service.getRun(runId);
      failures = 0;
      display.update(view);
      if (SETTLED.has(view.status)) {
        display.stop();
        return view;
      }
    } catch (err) {
      // A restarting server or database is not the end of the run: keep asking for a while.
      if (++failures > 60) {
        display.stop();
        throw err;
      }
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
