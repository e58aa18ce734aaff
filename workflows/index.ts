/** Every workflow type the worker registers. */
export { recipeRun } from './recipe-run.ts';
