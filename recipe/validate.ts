/** One entry point from what a client sent (YAML/JSON text or a parsed value) to a compiled plan. */
import { compileRecipe, type CompileOptions } from './compile.ts';
import { addLines, parseRecipeText, parseRecipeValue } from './loader.ts';
import type { Plan } from './plan.ts';
import { artifactSources } from './sources.ts';

/** Parses (with lines, for text) and compiles; throws RecipeError listing every problem. */
export function compileRecipeInput(recipe: string | unknown, options: CompileOptions = {}): Plan {
  return compileRecipeWithRefs(recipe, options).plan;
}

/**
 * {@link compileRecipeInput}, also answering the `artifact:` ids the datasets name with their paths and lines:
 * whether they exist is a question for the artifact store, asked by the run service before a run starts.
 */
export function compileRecipeWithRefs(recipe: string | unknown, options: CompileOptions = {}): { plan: Plan; artifacts: Array<{ id: string; path: string; line?: number }> } {
  const parsed = typeof recipe === 'string' ? parseRecipeText(recipe) : parseRecipeValue(recipe);
  const plan = compileRecipe(parsed, options);
  const refs = artifactSources(parsed);
  const lines = addLines(parsed, refs.map((r) => ({ path: r.path, message: '' })));
  return { plan, artifacts: refs.map((r, i) => (lines[i]?.line !== undefined ? { ...r, line: lines[i]!.line } : r)) };
}
