/**
 * Queries and signals of the recipe workflow, shared by the workflow and its
 * clients (CLI, API). Depends only on @temporalio/workflow's definition helpers.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RunState } from './state.ts';
import type { TrainingProgress } from '../activities/types.ts';
import type { PlanNode } from '../recipe/plan.ts';

/** The whole run state: per-stage status, attempts, outputs, metrics, last checkpoint progress. */
export const progressQuery = defineQuery<RunState>('progress');

/**
 * Resumes every stage paused after exhausting its retries. `nodes` replaces the
 * definitions of stages that have not finished (changed settings, recompiled
 * outside the workflow), so the retry runs with them.
 */
export const resumeSignal = defineSignal<[{ note?: string; nodes?: PlanNode[] }?]>('resume');

/** Sent by long stages at each checkpoint, so the query shows step and loss without growing history per step. */
export const stageProgressSignal = defineSignal<[{ stageId: string; progress: TrainingProgress }]>('stageProgress');

export const RECIPE_WORKFLOW = 'recipeRun';
/** A recipe with a `sweep:` block: one child recipeRun per cell, then the report (workflows/ablation-run.ts). */
export const ABLATION_WORKFLOW = 'ablationRun';
