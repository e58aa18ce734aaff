/** Every workflow type the worker registers. */
export { recipeRun } from './recipe-run.ts';
export { scheduledRun } from './scheduled-run.ts';
export { ablationRun } from './ablation-run.ts';
