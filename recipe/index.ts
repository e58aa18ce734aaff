/** The recipe language: schema, loader, compiler. */
export { recipeSchema, type Recipe, type RecipeInput, type Stage, type StageKind } from './schema.ts';
export { parseRecipeText, parseRecipeValue, loadRecipeFile, addLines } from './loader.ts';
export { compileRecipeInput, compileRecipeWithRefs } from './validate.ts';
export { checkLimits } from './limits.ts';
export { compileRecipe, canonicalJson, sha256, toMs, STAGE_QUEUES, TIMEOUT_BOUNDS, type CompileOptions } from './compile.ts';
export { resolveFileSources, artifactSources } from './sources.ts';
export { LIMITS, parseByteSize, formatBytes } from './limits.ts';
export { estimateTrainingMemory } from './memory.ts';
export { RecipeError, formatIssue, type RecipeIssue } from './errors.ts';
export type { Plan, PlanNode, PlanInput, RunOptions, RecipeRunInput, SweepPlan, SweepCellPlan } from './plan.ts';
export { applySettings, cellLabel, expandSweep } from './sweep.ts';
