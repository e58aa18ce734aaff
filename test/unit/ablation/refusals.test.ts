/**
 * The ablation kinds' compile-time refusals, on the shipped recipes changed one setting at a time: each is an
 * issue at its path (`stages[0].with.<field>`) with a message that says what to write, before anything runs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileRecipe, parseRecipeText, RecipeError } from '../../../recipe/index.ts';

const recipe = (name: string) => readFileSync(new URL(`../../../recipes/${name}.yaml`, import.meta.url), 'utf8');

/** The compiler's issues with a recipe's text, each as `<path>: <message>`; throws if it compiles. */
function recipeIssues(text: string): string[] {
  try {
    compileRecipe(parseRecipeText(text));
  } catch (err) {
    if (err instanceof RecipeError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error('the recipe compiled');
}

describe('mixsearch refuses at compile time', () => {
  const text = recipe('mixsearch');
  it('compiles as shipped', () => expect(() => compileRecipe(parseRecipeText(text))).not.toThrow());

  it('too few proxies for heldOut, topK above the candidates, a missing or unknown target', () => {
    expect(recipeIssues(text.replace('proxies: 6', 'proxies: 4'))).toEqual([expect.stringMatching(/^stages\[0\]\.with\.proxies: 4 proxies leave fewer than 2 to fit on after heldOut 3: give at least 5$/)]);
    expect(recipeIssues(text.replace('heldOut: 3', 'heldOut: 1'))).toEqual([expect.stringMatching(/^stages\[0\]\.with\.heldOut: a rank correlation needs at least 2/)]);
    expect(recipeIssues(text.replace('topK: 128', 'topK: 5000'))).toEqual([expect.stringMatching(/^stages\[0\]\.with\.topK: topK 5000 is more than the 2000 candidates/)]);
    expect(recipeIssues(text.replace('target: fiction', 'target: nowhere'))).toEqual([expect.stringMatching(/^stages\[0\]\.with\.target: .*nowhere/)]);
    expect(recipeIssues(text.replace(/ {6}target: fiction.*\n/, ''))).toEqual([expect.stringMatching(/^stages\[0\]\.with\.target: /)]);
  });
});

describe('mergeablation refuses at compile time', () => {
  const text = recipe('mergeablation');
  it('compiles as shipped', () => expect(() => compileRecipe(parseRecipeText(text))).not.toThrow());

  it('a candidate outside the units or twice, too many real unions or candidates, a fraction with no base, an unknown target', () => {
    const units = text.replace('maxSize: 3 ', 'units: [mystery, humor]\n      candidates: [[mystery, humor], [mystery, romance], [humor, mystery]]\n      maxSize: 3 ');
    expect(recipeIssues(units)).toEqual([
      expect.stringMatching(/^stages\[0\]\.with\.candidates\[1\]\[1\]: "romance" is not one of the units \(mystery, humor\)$/),
      expect.stringMatching(/^stages\[0\]\.with\.candidates\[2\]: the same set of units as an earlier candidate$/),
    ]);
    expect(recipeIssues(text.replace('maxSize: 3 ', 'units: [mystery, humor]\n      maxSize: 3 '))).toEqual([expect.stringMatching(/^stages\[0\]\.with\.realUnions: 3 real unions of only 1 candidates$/)]);
    const many = Array.from({ length: 8 }, (_, i) => `u${i}`).join(', ');
    expect(recipeIssues(text.replace('maxSize: 3 ', `units: [${many}]\n      maxSize: 4 `))).toEqual([expect.stringMatching(/^stages\[0\]\.with\.maxSize: 8 units have 154 sets of 2 to 4: more than 64 merges/)]);
    expect(recipeIssues(text.replace('fraction: 0.5', 'fraction: 0.99'))).toEqual([expect.stringMatching(/^stages\[0\]\.with\.fraction: 0.99 of the base's 12 steps leaves no base training/)]);
    expect(recipeIssues(text.replace('target: fiction', 'target: nowhere'))).toEqual([expect.stringMatching(/^stages\[0\]\.with\.target: .*nowhere/)]);
  });
});
