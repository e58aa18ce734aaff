/**
 * Recipe loading: YAML/JSON text or an object → a validated {@link Recipe}.
 * Errors carry the path and, for text, the line they point at; a recipe parsed
 * from text remembers where its values are, so the compiler's errors get lines too.
 * Every input is held to {@link LIMITS} before anything recurses into it.
 */
import { readFile, stat } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode, visit, type Document } from 'yaml';
import { recipeSchema, type Recipe } from './schema.ts';
import { RecipeError, issuesFromZod, recipeErrorMap, type RecipeIssue } from './errors.ts';
import { LIMITS, checkLimits, flowDepthExceeded, formatBytes } from './limits.ts';

/** YAML alias expansions allowed in one recipe (the yaml library's guard against "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

type Locator = (path: PropertyKey[]) => { line: number; col: number } | undefined;

/** Where each recipe parsed from text came from: recipe → locator of its values in the YAML source. */
const locators = new WeakMap<object, Locator>();

/** Parses recipe text (YAML, of which JSON is a subset). Throws {@link RecipeError} listing every problem. */
export function parseRecipeText(text: string, source?: string): Recipe {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > LIMITS.recipeBytes) {
    throw new RecipeError([{ path: '', message: `the recipe is ${formatBytes(bytes)}, over the limit of ${formatBytes(LIMITS.recipeBytes)}` }], source);
  }
  const deep = flowDepthExceeded(text);
  if (deep) throw new RecipeError([{ path: '', message: `YAML: nested deeper than ${LIMITS.depth} levels, the limit`, line: deep.line, column: deep.column }], source);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new RecipeError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const first = e.message.split('\n')[0]!;
        // The parser's own guard against deep nesting reports a stack overflow; say what it means.
        const message = /maximum call stack/i.test(first) ? `nested deeper than ${LIMITS.depth} levels, the limit` : first;
        return { path: '', message: `YAML: ${message}`, line: pos?.line, column: pos?.col };
      }),
      source,
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const pos = firstAlias(doc, lineCounter);
    const message =
      err instanceof ReferenceError
        ? `YAML: aliases expand to too large a document (more than ${MAX_ALIAS_COUNT} alias expansions): write the values out, or use fewer aliases`
        : `YAML: cannot read the document: ${(err as Error).message}`;
    throw new RecipeError([{ path: '', message, line: pos?.line, column: pos?.col }], source);
  }
  const locate: Locator = (path) => locateIn(doc, lineCounter, path);
  const limited = checkLimits(value);
  if (limited.length > 0) throw new RecipeError(withPositions(limited, locate), source);
  const result = recipeSchema.safeParse(value, { error: recipeErrorMap });
  if (!result.success) throw new RecipeError(withPositions(issuesFromZod(result.error), locate), source);
  locators.set(result.data, locate);
  return result.data;
}

/** Validates an already-parsed value (e.g. a JSON request body). */
export function parseRecipeValue(value: unknown): Recipe {
  const limited = checkLimits(value);
  if (limited.length > 0) throw new RecipeError(limited.map(({ rawPath: _r, ...i }) => i));
  const result = recipeSchema.safeParse(value, { error: recipeErrorMap });
  if (result.success) return result.data;
  throw new RecipeError(issuesFromZod(result.error).map(({ rawPath: _r, ...i }) => i));
}

/** Reads and validates a recipe file. A missing or oversized file is a RecipeError naming it. */
export async function loadRecipeFile(path: string): Promise<{ recipe: Recipe; text: string }> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > LIMITS.recipeBytes) {
      throw new RecipeError([{ path: '', message: `the recipe is ${formatBytes(size)}, over the limit of ${formatBytes(LIMITS.recipeBytes)}` }], path);
    }
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof RecipeError) throw err;
    throw new RecipeError([{ path: '', message: `cannot read recipe file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }], path);
  }
  return { recipe: parseRecipeText(text, path), text };
}

/** Carries a parsed recipe's source positions over to a recipe derived from it (e.g. with resolved paths). */
export function keepPositions<T extends object>(from: object, to: T): T {
  const locate = locators.get(from);
  if (locate) locators.set(to, locate);
  return to;
}

/** The line and column of a raw path (`['sweep', 'matrix', 'stages.base.with.lr', 1]`) in a recipe parsed from text. */
export function locateInRecipe(recipe: object, rawPath: PropertyKey[]): { line: number; column: number } | undefined {
  const pos = locators.get(recipe)?.(rawPath);
  return pos ? { line: pos.line, column: pos.col } : undefined;
}

/**
 * Adds lines to issues about a recipe that was parsed from text, in the order of the file (issues that have a
 * line keep it; a recipe parsed from a value gets its issues back as they are). Paths are the issues' own:
 * `stages[1].with.steps`.
 */
export function addLines(recipe: object, issues: RecipeIssue[]): RecipeIssue[] {
  const locate = locators.get(recipe);
  if (!locate) return issues;
  const located = issues.map((issue) => {
    if (issue.line !== undefined) return issue;
    const pos = locate(parsePath(issue.path));
    return pos ? { ...issue, line: pos.line, column: pos.col } : issue;
  });
  // In the order of the file, as a reader goes through it.
  return located.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

function withPositions(issues: Array<RecipeIssue & { rawPath: PropertyKey[] }>, locate: Locator): RecipeIssue[] {
  return issues.map(({ rawPath, ...issue }) => {
    const pos = locate(rawPath);
    return pos ? { ...issue, line: pos.line, column: pos.col } : issue;
  });
}

/** `stages[2].with.beta` → `['stages', 2, 'with', 'beta']` (the inverse of formatPath). */
function parsePath(path: string): PropertyKey[] {
  const out: PropertyKey[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/** The deepest YAML node on `path` that exists: an error about a missing key points at its parent. */
function locateIn(doc: Document, lc: LineCounter, path: PropertyKey[]): { line: number; col: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as Array<string | number>, true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]);
  }
  return undefined;
}

function firstAlias(doc: Document, lc: LineCounter): { line: number; col: number } | undefined {
  let pos: { line: number; col: number } | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (node.range) pos = lc.linePos(node.range[0]);
      return visit.BREAK;
    },
  });
  return pos;
}
