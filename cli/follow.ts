/** Follows a run until it ends or pauses, feeding a progress display. */
import type { WorkflowHandle } from '@temporalio/client';
import { workflowUiUrl, type BraiseConfig } from '../infra/config.ts';
import { readRunState } from '../infra/temporal/runs.ts';
import type { ProgressDisplay } from './progress.ts';
import { viewFromState, type RunView } from './view.ts';

const SETTLED = new Set(['completed', 'failed', 'cancelled', 'paused']);

export async function followRun(handle: WorkflowHandle, config: BraiseConfig, display: ProgressDisplay, pollMs = 1000): Promise<RunView> {
  let finished = false;
  const result = handle.result().then(
    () => (finished = true),
    () => (finished = true),
  );
  const uiUrl = workflowUiUrl(config, handle.workflowId);
  let view: RunView | null = null;
  for (;;) {
    const state = await readRunState(handle).catch(() => null);
    if (state) {
      view = viewFromState(state, uiUrl);
      display.update(view);
      if (SETTLED.has(view.status) && (finished || view.status === 'paused')) break;
    }
    await Promise.race([result, new Promise((r) => setTimeout(r, pollMs))]);
    if (finished && state && SETTLED.has(state.status)) break;
  }
  display.stop();
  return view!;
}
