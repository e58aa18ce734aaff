/**
 * What every run workflow does with its status: set the BraiseStatus search attribute, record it in lineage, then show
 * it in the state its query returns (so a reader who sees a run end finds lineage saying the same). Deterministic.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { ControlActivities } from '../activities/types.ts';
import type { RunStatus } from '../service/status.ts';
import { BraiseStatus, statusAttribute } from './search-attributes.ts';
import type { RunState } from './state.ts';

/** A `setStatus(status, error?)` for run `runId` whose query state is `state`. */
export function statusSetter(control: Pick<ControlActivities, 'setRunStatus'>, runId: string, state: Pick<RunState, 'status' | 'error'>) {
  return async (status: RunStatus, error: string | null = null): Promise<void> => {
    upsertSearchAttributes([{ key: BraiseStatus, value: statusAttribute(status) }]);
    try {
      await control.setRunStatus({ runId, status, error });
    } finally {
      state.status = status;
      state.error = error;
    }
  };
}
