/**
 * A recipe's `sweep:` block as cells, and the settings a cell (or `--set`, or a resume's `with`) writes into a
 * recipe. PURE: the compiler (compile.ts) turns each cell into a plan of its own, the run service applies `--set`
 * with {@link applySettings}.
 *
 * Expansion follows GitHub Actions' matrix: every combination of `matrix`'s values (the first path varying
 * slowest); an `exclude` entry drops every combination that has all of its pairs; then each `include` entry is
 * added to every combination whose matrix values agree with the entry's (it may add paths the matrix does not
 * have, and overwrite what an earlier include added, never a matrix value), and is a cell of its own when it
 * agrees with none.
 */
import type { RecipeIssue } from './errors.ts';
import { LIMITS } from './limits.ts';
import type { Recipe } from './schema.ts';

/** Where a cell's value was written: `['sweep', 'matrix', path, j]` or `['sweep', 'include', k, path]`. */
export type SweepOrigin = Array<string | number>;

export interface SweepCell {
  /** 1-based, in expansion order. */
  index: number;
  values: Record<string, unknown>;
  /** The raw path in the recipe of each value (for its line). */
  origins: Record<string, SweepOrigin>;
}

type SweepBlock = NonNullable<Recipe['sweep']>;

const same = (a: unknown, b: unknown): boolean => stableJson(a) === stableJson(b);

/** JSON with sorted keys: equal values compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** The cells that have every value of `entry` (how `exclude` and `compare.baseline` name cells). */
export function cellsMatching<C extends Pick<SweepCell, 'values'>>(cells: readonly C[], entry: Record<string, unknown>): C[] {
  return cells.filter((c) => Object.entries(entry).every(([p, v]) => Object.hasOwn(c.values, p) && same(c.values[p], v)));
}

/** The cells of a sweep block, or the issues that keep it from having any (too many, none). */
export function expandSweep(sweep: SweepBlock): { cells: SweepCell[]; issues: RecipeIssue[] } {
  const paths = Object.keys(sweep.matrix);
  const product = paths.reduce((n, p) => n * sweep.matrix[p]!.length, paths.length > 0 ? 1 : 0);
  // Bounded before anything is built: a matrix of 10 × 10 × 10 values is refused, not expanded.
  if (product > LIMITS.sweepCells * 16) {
    return { cells: [], issues: [{ path: 'sweep.matrix', message: `the matrix has ${product} combinations, over the limit of ${LIMITS.sweepCells} cells` }] };
  }
  let combos: Array<Omit<SweepCell, 'index'>> = [{ values: {}, origins: {} }];
  for (const path of paths) {
    combos = combos.flatMap((c) => sweep.matrix[path]!.map((v, j) => ({ values: { ...c.values, [path]: v }, origins: { ...c.origins, [path]: ['sweep', 'matrix', path, j] } })));
  }
  if (paths.length === 0) combos = [];
  for (const entry of sweep.exclude ?? []) {
    const dropped = new Set(cellsMatching(combos, entry));
    combos = combos.filter((c) => !dropped.has(c));
  }
  const matrixPaths = new Set(paths);
  const added: Array<Omit<SweepCell, 'index'>> = [];
  (sweep.include ?? []).forEach((entry, k) => {
    const origin = (p: string): SweepOrigin => ['sweep', 'include', k, p];
    let matched = false;
    for (const c of combos) {
      if (!Object.entries(entry).every(([p, v]) => !matrixPaths.has(p) || same(c.values[p], v))) continue;
      matched = true;
      for (const [p, v] of Object.entries(entry)) {
        if (matrixPaths.has(p)) continue;
        c.values[p] = v;
        c.origins[p] = origin(p);
      }
    }
    if (!matched) added.push({ values: { ...entry }, origins: Object.fromEntries(Object.keys(entry).map((p) => [p, origin(p)])) });
  });
  const all = [...combos, ...added];
  if (all.length === 0) return { cells: [], issues: [{ path: 'sweep', message: 'the sweep has no cells: give `matrix` values, or `include` entries, that `exclude` does not remove' }] };
  if (all.length > LIMITS.sweepCells) return { cells: [], issues: [{ path: 'sweep', message: `the sweep has ${all.length} cells, over the limit of ${LIMITS.sweepCells}` }] };
  return { cells: all.map((c, i) => ({ index: i + 1, ...c })), issues: [] };
}

/** Every path the cells set, matrix paths first, then those only `include` adds. */
export function sweepPaths(cells: readonly SweepCell[]): string[] {
  return [...new Set(cells.flatMap((c) => Object.keys(c.values)))];
}

/** `cell 3 (stages.base.with.lr=0.003, seed=2)`: how messages name a cell. */
export function cellLabel(cell: Pick<SweepCell, 'index' | 'values'>): string {
  const values = Object.entries(cell.values).map(([p, v]) => `${p}=${JSON.stringify(v)}`);
  return `cell ${cell.index} (${values.join(', ')})`;
}

/**
 * Sets `path` to `value` in a recipe value (changed in place): `stages.<id>.with.<field>[.<field>…]`,
 * `model.<field>` or `seed`. Returns what is wrong with the path, or null. Validating the result is the caller's.
 */
export function setRecipePath(recipe: unknown, path: string, value: unknown): string | null {
  const doc = recipe as { stages?: Array<{ id: string; with?: Record<string, unknown> }>; model?: Record<string, unknown>; seed?: unknown };
  if (path === 'seed') {
    doc.seed = value;
    return null;
  }
  const model = /^model\.([A-Za-z][A-Za-z0-9_]*)$/.exec(path);
  if (model) {
    doc.model = { ...doc.model, [model[1]!]: value };
    return null;
  }
  const m = /^stages\.([a-z][a-z0-9_-]*)\.with\.([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)$/.exec(path);
  if (!m) return 'expected "stages.<id>.with.<field>", "model.<field>" or "seed"';
  const stages = doc.stages ?? [];
  const stage = stages.find((s) => s.id === m[1]);
  if (!stage) return `no stage "${m[1]}" in this recipe (stages: ${stages.map((s) => s.id).join(', ')})`;
  const fields = m[2]!.split('.');
  stage.with = { ...stage.with };
  let at = stage.with;
  for (const f of fields.slice(0, -1)) {
    const next = at[f];
    at[f] = next && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
    at = at[f] as Record<string, unknown>;
  }
  at[fields.at(-1)!] = value;
  return null;
}

/**
 * `{ "<path>": value }` applied to a copy of a recipe value: sweep paths, and `stages.<id>.<field>` for
 * `stages.<id>.with.<field>` (how `--set` and a resume's `with` are written). Each bad key is an issue
 * with path `with.<key>`.
 */
export function applySettings(recipe: unknown, settings: Record<string, unknown>): { recipe: unknown; issues: RecipeIssue[] } {
  const copy = structuredClone(recipe);
  const issues: RecipeIssue[] = [];
  for (const [key, value] of Object.entries(settings)) {
    const path = /^stages\.[a-z][a-z0-9_-]*\.[A-Za-z][A-Za-z0-9_]*$/.test(key) ? key.replace(/^(stages\.[a-z][a-z0-9_-]*)\./, '$1.with.') : key;
    const problem = setRecipePath(copy, path, value);
    if (problem) issues.push({ path: `with.${key}`, message: problem.startsWith('expected') ? 'expected "stages.<id>.<field>"' : problem.replace(' in this recipe', ' in this run') });
  }
  return { recipe: copy, issues };
}

/**
 * The path in the recipe (as issues name it: `stages[1].with.lr`) that a sweep path sets, or null when the
 * stage does not exist.
 */
export function recipePathOf(recipe: Pick<Recipe, 'stages'>, path: string): string | null {
  if (path === 'seed' || path.startsWith('model.')) return path;
  const m = /^stages\.([a-z][a-z0-9_-]*)\.with\.(.+)$/.exec(path);
  if (!m) return null;
  const i = recipe.stages.findIndex((s) => s.id === m[1]);
  return i < 0 ? null : `stages[${i}].with.${m[2]}`;
}
