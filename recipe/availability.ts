/**
 * Refusing what the recipe format declares but this version of Braise does not build: a `sweep:` block,
 * stage kinds without an implementation, evaluate tasks without one. Without these checks such a recipe
 * would compile and then run one cell silently (sweep), or fail after training (evaluate tasks). Pure:
 * the compiler calls {@link unbuiltIssues} with the other semantic checks, so each refusal has its path
 * and line and is an exit 2 / 422. When a feature lands, its check goes (and the stage registry of
 * issue 9 will carry the per-kind part).
 */
import type { RecipeIssue } from './errors.ts';
import { IMPLEMENTED_KINDS, KINDS } from './kinds.ts';
import type { Recipe } from './schema.ts';
import { AVAILABLE_EVALUATE_TASKS, type EvaluateTask } from './stage-with.ts';

/** Every use in `recipe` of something not available in this version, with its path. */
export function unbuiltIssues(recipe: Recipe): RecipeIssue[] {
  const issues: RecipeIssue[] = [];
  if (recipe.sweep !== undefined) issues.push({ path: 'sweep', message: 'sweeps are not available in this version of Braise; remove the block' });
  recipe.stages.forEach((stage, i) => {
    if (KINDS[stage.kind].implVersion === null) {
      issues.push({ path: `stages[${i}].kind`, message: `stage kind "${stage.kind}" is not available in this version of Braise (available: ${IMPLEMENTED_KINDS.join(', ')})` });
    }
    if (stage.kind === 'evaluate') {
      stage.with.tasks.forEach((task: EvaluateTask, j) => {
        if (!AVAILABLE_EVALUATE_TASKS.includes(task)) {
          issues.push({ path: `stages[${i}].with.tasks[${j}]`, message: `evaluate task "${task}" is not available in this version of Braise (available: ${AVAILABLE_EVALUATE_TASKS.join(', ')})` });
        }
      });
    }
  });
  return issues;
}
