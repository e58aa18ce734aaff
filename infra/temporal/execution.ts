/**
 * What Temporal knows about a run's execution that the workflow cannot say
 * itself: that it ended without telling lineage (terminated, timed out, failed
 * outside the interpreter), or that its workflow task keeps failing, so it can
 * neither progress nor handle a cancellation request.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: no named exports under plain Node

const { WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;
import type { RunStatus } from '../../service/status.ts';

export type ExecutionOutcome =
  | { open: true; failingTask: { attempt: number; reason: string } | null }
  | { open: false; status: Exclude<RunStatus, 'running' | 'paused'>; error: string | null };

/** A workflow task on its second attempt or later has failed at least once. */
const FAILING_ATTEMPT = 2;

/** The innermost message of a failure chain. */
function innermost(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** The cause and message of the latest WorkflowTaskFailed event in the history. */
async function lastTaskFailure(handle: WorkflowHandle): Promise<string> {
  const history = await handle.fetchHistory();
  for (const ev of [...(history.events ?? [])].reverse()) {
    const attrs = ev.workflowTaskFailedEventAttributes;
    if (!attrs) continue;
    const cause = WorkflowTaskFailedCause[attrs.cause ?? 0] ?? String(attrs.cause);
    return `${cause.replace(/^WORKFLOW_TASK_FAILED_CAUSE_/, '')}: ${attrs.failure?.message ?? 'no message'}`;
  }
  return 'no failure recorded in the history yet';
}

/** null when there is no such execution (or Temporal does not answer). */
export async function executionOutcome(handle: WorkflowHandle): Promise<ExecutionOutcome | null> {
  const d = await handle.describe().catch(() => null);
  if (!d) return null;
  switch (d.status.name) {
    case 'RUNNING': {
      const attempt = d.raw.pendingWorkflowTask?.attempt ?? 0;
      if (attempt < FAILING_ATTEMPT) return { open: true, failingTask: null };
      return { open: true, failingTask: { attempt, reason: await lastTaskFailure(handle).catch((err: unknown) => innermost(err)) } };
    }
    case 'COMPLETED':
      return { open: false, status: 'completed', error: null };
    case 'CANCELLED':
      return { open: false, status: 'cancelled', error: null };
    default: {
      // FAILED, TERMINATED, TIMED_OUT: the result names why.
      const error = await handle.result().then(
        () => null,
        (err: unknown) => (err instanceof WorkflowFailedError && err.cause ? innermost(err.cause) : innermost(err)),
      );
      const why = error ?? 'no reason given';
      return { open: false, status: 'failed', error: d.status.name === 'FAILED' ? why : `${d.status.name.toLowerCase().replace('_', ' ')}: ${why}` };
    }
  }
}
