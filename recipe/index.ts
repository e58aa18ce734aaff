/** The recipe language: schema, loader, compiler. */
export { recipeSchema, type Recipe, type RecipeInput, type Stage, type StageKind } from './schema.ts';
export { parseRecipeText, parseRecipeValue, loadRecipeFile } from './loader.ts';
export { compileRecipe, canonicalJson, sha256, toMs } from './compile.ts';
export { resolveFileSources } from './sources.ts';
export { RecipeError, formatIssue, type RecipeIssue } from './errors.ts';
export type { Plan, PlanNode, PlanInput, RunOptions, RecipeRunInput } from './plan.ts';
