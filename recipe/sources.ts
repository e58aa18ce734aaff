/**
 * What a recipe's dataset `source:` may be, known before anything is read: the built-in datasets and
 * their options, `file:` paths and `artifact:` ids. The compiler checks every dataset against this, so a
 * misspelt genre or name fails validation with its path instead of pausing the run at ingest.
 * Pure constants (no corpus is loaded); a unit test keeps them equal to what `datasets/` loads.
 */
import { isAbsolute, resolve } from 'node:path';
import type { DatasetSpec, Recipe } from './schema.ts';
import type { RecipeIssue } from './errors.ts';
import { didYouMean } from './suggest.ts';
import { keepPositions } from './loader.ts';

/** Brown corpus genres: letter → category name (`datasets/builtin/brown.ts` accepts either). */
export const BROWN_GENRES: ReadonlyArray<readonly [string, string]> = [
  ['a', 'news'],
  ['b', 'editorial'],
  ['c', 'reviews'],
  ['d', 'religion'],
  ['e', 'hobbies'],
  ['f', 'lore'],
  ['g', 'belles_lettres'],
  ['h', 'government'],
  ['j', 'learned'],
  ['k', 'fiction'],
  ['l', 'mystery'],
  ['m', 'science_fiction'],
  ['n', 'adventure'],
  ['p', 'romance'],
  ['r', 'humor'],
];

export const SPAM_ASSASSIN_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;

/** `builtin:tasks`'s tasks (`datasets/posttrain/tasks.ts` generates them). */
export const TASK_NAMES = ['addition', 'subtraction', 'reverse', 'sort'] as const;

/** The option keys each source takes besides `source` and `limit` (which all take). */
interface BuiltinSpec {
  genres?: true;
  groups?: true;
  /** `tasks`, `split`, `seed`, `digits` and `shape`. */
  tasks?: true;
}

/** `builtin:<name>` datasets, by name. */
export const BUILTIN_DATASETS: ReadonlyMap<string, BuiltinSpec> = new Map<string, BuiltinSpec>([
  ['brown', { genres: true }],
  ['spam-assassin', { groups: true }],
  ['tasks', { tasks: true }],
  ['eval/brown-cloze', {}],
]);

const ARTIFACT_ID = /^[0-9a-f]{64}$/;

/** The `artifact:` ids a recipe's datasets name, with the path of each (for the existence check at start). */
export function artifactSources(recipe: Recipe): Array<{ id: string; path: string }> {
  return Object.entries(recipe.datasets)
    .filter(([, spec]) => spec.source.startsWith('artifact:') && ARTIFACT_ID.test(spec.source.slice('artifact:'.length)))
    .map(([name, spec]) => ({ id: spec.source.slice('artifact:'.length), path: `datasets.${name}.source` }));
}

/**
 * The domains a dataset's documents carry, when the recipe alone says (builtin:brown: its genres' categories, all
 * of them without `genres`); undefined for any other source, whose domains are known only once read.
 */
export function knownDomains(spec: Pick<DatasetSpec, 'source'> & { genres?: readonly string[] | undefined }): string[] | undefined {
  if (spec.source !== 'builtin:brown') return undefined;
  if (spec.genres === undefined) return BROWN_GENRES.map(([, name]) => name);
  const keys = spec.genres.map((g) => g.trim().toLowerCase());
  return BROWN_GENRES.filter(([letter, name]) => keys.some((k) => k === letter || k.replace(/-/g, '_') === name)).map(([, name]) => name);
}

function brownGenreKnown(genre: string): boolean {
  const key = genre.trim().toLowerCase();
  return BROWN_GENRES.some(([letter, name]) => letter === key || name === key.replace(/-/g, '_'));
}

/** Every problem with one dataset entry that is knowable without reading it. */
export function checkDatasetSource(name: string, spec: DatasetSpec): RecipeIssue[] {
  const issues: RecipeIssue[] = [];
  const base = `datasets.${name}`;
  const colon = spec.source.indexOf(':');
  const scheme = spec.source.slice(0, colon);
  const rest = spec.source.slice(colon + 1);
  const builtin = scheme === 'builtin' ? BUILTIN_DATASETS.get(rest) : undefined;
  if (scheme === 'builtin' && !builtin) {
    const known = [...BUILTIN_DATASETS.keys()];
    issues.push({ path: `${base}.source`, message: `unknown built-in dataset "${rest}"${didYouMean(rest, known)}: expected one of ${known.map((k) => `builtin:${k}`).join(', ')}` });
    return issues; // its options cannot be judged against a dataset that does not exist
  }
  if (scheme === 'file' && !/\.jsonl(\.gz)?$/.test(rest)) {
    issues.push({ path: `${base}.source`, message: `"${spec.source}" is not a .jsonl or .jsonl.gz file: file sources are JSON Lines, one document per line (optionally gzipped)` });
  }
  if (scheme === 'artifact' && !ARTIFACT_ID.test(rest)) {
    issues.push({ path: `${base}.source`, message: `"${rest}" is not an artifact id: expected artifact:<sha256>, 64 lowercase hex digits` });
  }
  if (spec.genres !== undefined) {
    if (!builtin?.genres) issues.push({ path: `${base}.genres`, message: '"genres" is only supported by builtin:brown' });
    else {
      const allowed = BROWN_GENRES.map(([l, n]) => `${l} (${n})`).join(', ');
      const names = BROWN_GENRES.flatMap(([l, n]) => [l, n]);
      spec.genres.forEach((g, i) => {
        if (!brownGenreKnown(g)) issues.push({ path: `${base}.genres[${i}]`, message: `unknown Brown genre "${g}"${didYouMean(g, names)}: expected one of ${allowed}` });
      });
    }
  }
  if (spec.groups !== undefined) {
    if (!builtin?.groups) issues.push({ path: `${base}.groups`, message: '"groups" is only supported by builtin:spam-assassin' });
    else {
      spec.groups.forEach((g, i) => {
        if (!(SPAM_ASSASSIN_GROUPS as readonly string[]).includes(g)) {
          issues.push({ path: `${base}.groups[${i}]`, message: `unknown SpamAssassin group "${g}"${didYouMean(g, SPAM_ASSASSIN_GROUPS)}: expected one of ${SPAM_ASSASSIN_GROUPS.join(', ')}` });
        }
      });
    }
  }
  for (const key of ['tasks', 'split', 'seed', 'digits'] as const) {
    if (spec[key] !== undefined && !builtin?.tasks) issues.push({ path: `${base}.${key}`, message: `"${key}" is only supported by builtin:tasks` });
  }
  if (spec.shape !== undefined && !builtin?.tasks && scheme !== 'file') {
    issues.push({ path: `${base}.shape`, message: '"shape" is only supported by builtin:tasks and file: sources (JSONL rows of that shape)' });
  }
  if (spec.tasks !== undefined && builtin?.tasks) {
    spec.tasks.forEach((t, i) => {
      if (!(TASK_NAMES as readonly string[]).includes(t)) issues.push({ path: `${base}.tasks[${i}]`, message: `unknown task "${t}"${didYouMean(t, TASK_NAMES)}: expected one of ${TASK_NAMES.join(', ')}` });
    });
  }
  return issues;
}

/** Makes a recipe's `file:` dataset paths absolute, relative to the recipe file's directory. */
export function resolveFileSources(recipe: Recipe, baseDir: string): Recipe {
  const datasets = Object.fromEntries(
    Object.entries(recipe.datasets).map(([name, spec]) => {
      if (!spec.source.startsWith('file:')) return [name, spec];
      const path = spec.source.slice('file:'.length);
      return [name, { ...spec, source: `file:${isAbsolute(path) ? path : resolve(baseDir, path)}` }];
    }),
  );
  return keepPositions(recipe, { ...recipe, datasets });
}
