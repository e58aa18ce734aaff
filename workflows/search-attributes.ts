/**
 * Search attributes every run carries, so the Temporal UI and `GET /v1/runs`
 * can filter by recipe and status. Registered by the dev server launcher and,
 * on other clusters, by the runtime at start.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { RunStatus } from '../service/status.ts';

export const BraiseRecipe = defineSearchAttributeKey('BraiseRecipe', SearchAttributeType.KEYWORD);
export const BraiseStatus = defineSearchAttributeKey('BraiseStatus', SearchAttributeType.KEYWORD);
/** The name of the schedule that started a run (absent on runs started by hand). */
export const BraiseSchedule = defineSearchAttributeKey('BraiseSchedule', SearchAttributeType.KEYWORD);

/** What a run starts with: its recipe, `Running`, and the schedule that started it, if one did. */
export function runSearchAttributes(recipe: string, schedule?: string | null): Array<{ key: typeof BraiseRecipe; value: string }> {
  return [
    { key: BraiseRecipe, value: recipe },
    { key: BraiseStatus, value: statusAttribute('running') },
    ...(schedule ? [{ key: BraiseSchedule, value: schedule }] : []),
  ];
}

/** `paused` → `Paused`: the value shown in the UI (`BraiseStatus="Paused"`). */
export function statusAttribute(status: RunStatus): string {
  return status.charAt(0).toUpperCase() + status.slice(1);
}
