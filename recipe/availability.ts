/**
 * Refusing what the recipe format declares but this version of Braise does not build:
 * stage kinds whose spec says `available: false`, and what a kind's own check refuses (evaluate tasks
 * without an implementation: stages/evaluate.ts). Without these checks such a recipe would compile and
 * then fail after training (evaluate tasks). Pure: the compiler calls
 * {@link unbuiltIssues} with the other semantic checks, so each refusal has its path and line and is an
 * exit 2 / 422. When a feature lands, its spec says so and the refusal goes by itself.
 */
import type { RecipeIssue } from './errors.ts';
import type { Recipe } from './schema.ts';
import { knownDomains } from './sources.ts';
import { checksOf, NODE_SPECS, STAGE_KINDS } from './stages/index.ts';

/** Every use in `recipe` of something not available in this version, with its path; and each kind's own compile-time checks. */
export function unbuiltIssues(recipe: Recipe): RecipeIssue[] {
  const issues: RecipeIssue[] = [];
  const available = STAGE_KINDS.filter((k) => NODE_SPECS[k].available);
  const byId = new Map(recipe.stages.map((s) => [s.id, s]));
  const context = {
    datasets: recipe.datasets,
    stageNamed: (id: string) => byId.get(id),
    datasetDomains: (name: string) => (Object.hasOwn(recipe.datasets, name) ? knownDomains(recipe.datasets[name]!) : undefined),
  };
  recipe.stages.forEach((stage, i) => {
    if (!NODE_SPECS[stage.kind].available) {
      issues.push({ path: `stages[${i}].kind`, message: `stage kind "${stage.kind}" is not available in this version of Braise (available: ${available.join(', ')})` });
    }
    for (const issue of checksOf(stage.kind, stage.with, stage.inputs, context)) {
      issues.push({ path: /^inputs(\[|$)/.test(issue.path) ? `stages[${i}].${issue.path}` : `stages[${i}].with.${issue.path}`, message: issue.message });
    }
  });
  return issues;
}
