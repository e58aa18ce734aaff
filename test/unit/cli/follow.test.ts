/**
 * followRun: the end of a run is taken from the service's awaitRun as soon as
 * it resolves (not at the next poll), the display sees every view, pauses are
 * still found by polling, and a failing awaitRun leaves polling in charge.
 * A wait still open when polling finds the end is cancelled and has settled
 * by the time followRun returns (its caller then closes the connection).
 */
import { describe, expect, it } from 'vitest';
import type { RunService } from '../../../service/contract.ts';
import { followRun } from '../../../cli/follow.ts';
import type { ProgressDisplay } from '../../../cli/progress.ts';
import type { RunView, StageView } from '../../../service/view.ts';

const view = (status: RunView['status'], stage: StageView['status'] = 'pending'): RunView => ({
  runId: 'r-1',
  workflowId: 'braise-x-r-1',
  status,
  temporalUiUrl: 'http://ui',
  stages: [{ id: 'a', kind: 'filter', status: stage, attempts: 0, durationMs: null, outputs: [], metrics: {} }],
});

/** A RunService answering getRun from `reads` (the last one repeats) and awaitRun with `ended`. */
function service(reads: RunView[], awaitRun?: (runId: string, signal?: AbortSignal) => Promise<RunView>): RunService & { gets: number } {
  const unused = () => Promise.reject(new Error('not used by followRun'));
  const s = {
    gets: 0,
    validate: unused,
    startRun: unused,
    listRuns: unused,
    metrics: unused,
    cancel: unused,
    resume: unused,
    getArtifact: unused,
    report: unused,
    lineage: unused,
    readiness: unused,
    documentTraining: unused,
    putSchedule: unused,
    listSchedules: unused,
    getSchedule: unused,
    pauseSchedule: unused,
    unpauseSchedule: unused,
    triggerSchedule: unused,
    deleteSchedule: unused,
    logs: unused,
    async getRun() {
      return reads[Math.min(s.gets++, reads.length - 1)]!;
    },
    ...(awaitRun ? { awaitRun } : {}),
  };
  return s;
}

function display(): ProgressDisplay & { seen: string[]; stopped: boolean } {
  const d = { seen: [] as string[], stopped: false, update: (v: RunView) => void d.seen.push(`${v.status}/${v.stages[0]!.status}`), stop: () => void (d.stopped = true) };
  return d;
}

describe('followRun', () => {
  it('returns the awaited final view at once instead of at the next poll', async () => {
    const svc = service([view('running', 'running')], () => new Promise((r) => setTimeout(() => r(view('completed', 'completed')), 50)));
    const d = display();
    const t0 = Date.now();
    const final = await followRun(svc, 'r-1', d, 10_000);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(final.status).toBe('completed');
    expect(d.seen).toEqual(['running/running', 'completed/completed']);
    expect(d.stopped).toBe(true);
    expect(svc.gets).toBe(1);
  });

  it('does not wait for a read still in flight when the run ends (a query of a closed workflow is slow)', async () => {
    const svc = service([view('running')], () => new Promise((r) => setTimeout(() => r(view('completed', 'completed')), 50)));
    svc.getRun = () => new Promise<RunView>(() => {});
    const final = await followRun(svc, 'r-1', display(), 10_000);
    expect(final.status).toBe('completed');
  });

  it('finds a pause by polling (awaitRun only resolves when the execution closes), and cancels the wait before returning', async () => {
    const events: string[] = [];
    /** Like the Temporal client's: pending until the execution closes, rejecting a little after its signal aborts. */
    const awaitRun = (_id: string, signal?: AbortSignal) =>
      new Promise<RunView>((_, reject) => {
        signal?.addEventListener('abort', () =>
          setTimeout(() => {
            events.push('wait settled');
            reject(new Error('aborted'));
          }, 20),
        );
      });
    const svc = service([view('running', 'running'), view('paused', 'paused')], awaitRun);
    const d = display();
    const final = await followRun(svc, 'r-1', d, 10);
    events.push('followRun returned');
    expect(final.status).toBe('paused');
    expect(d.seen.at(-1)).toBe('paused/paused');
    expect(events).toEqual(['wait settled', 'followRun returned']);
  });

  it('keeps polling when awaitRun fails, and without one', async () => {
    for (const awaitRun of [() => Promise.reject(new Error('server gone')), undefined]) {
      const svc = service([view('running'), view('running', 'running'), view('failed', 'failed')], awaitRun);
      const final = await followRun(svc, 'r-1', display(), 10);
      expect(final.status).toBe('failed');
      expect(svc.gets).toBe(3);
    }
  });
});
