import { compileRecipe, parseRecipeText, RecipeError, type RecipeIssue } from '../../../recipe/index.ts';

/** A small valid recipe, as YAML text, for recipe unit tests. */
export const VALID = `apiVersion: braise/v1
name: tiny
seed: 7
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [a, b] }
stages:
  - id: clean
    kind: filter
    inputs: [web]
    with: { rules: [gopher-quality, gopher-repetition] }
  - id: base
    kind: pretrain
    inputs: [clean]
    with: { steps: 20, batchSize: 4, lr: 3e-3, checkpointEvery: 10 }
  - id: eval
    kind: evaluate
    inputs: [base]
`;

/** The issues compiling `text` raises; fails the test when it compiles. */
export function compileErrors(text: string): RecipeIssue[] {
  try {
    compileRecipe(parseRecipeText(text));
  } catch (err) {
    if (err instanceof RecipeError) return err.issues;
    throw err;
  }
  throw new Error('expected a compile error');
}
