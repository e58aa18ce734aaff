/** Makes a recipe's `file:` dataset paths absolute, relative to the recipe file's directory. */
import { isAbsolute, resolve } from 'node:path';
import type { Recipe } from './schema.ts';

export function resolveFileSources(recipe: Recipe, baseDir: string): Recipe {
  const datasets = Object.fromEntries(
    Object.entries(recipe.datasets).map(([name, spec]) => {
      if (!spec.source.startsWith('file:')) return [name, spec];
      const path = spec.source.slice('file:'.length);
      return [name, { ...spec, source: `file:${isAbsolute(path) ? path : resolve(baseDir, path)}` }];
    }),
  );
  return { ...recipe, datasets };
}
