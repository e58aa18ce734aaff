/**
 * Recipe loading: YAML/JSON text or an object → a validated {@link Recipe}.
 * Errors carry the path and, for text, the line they point at.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { recipeSchema, type Recipe } from './schema.ts';
import { RecipeError, issuesFromZod, type RecipeIssue } from './errors.ts';

/** Parses recipe text (YAML, of which JSON is a subset). Throws {@link RecipeError} listing every problem. */
export function parseRecipeText(text: string, source?: string): Recipe {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new RecipeError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: '', message: `YAML: ${e.message.split('\n')[0]}`, line: pos?.line, column: pos?.col };
      }),
      source,
    );
  }
  const value: unknown = doc.toJS();
  const result = recipeSchema.safeParse(value);
  if (result.success) return result.data;
  const issues: RecipeIssue[] = issuesFromZod(result.error).map(({ rawPath, ...issue }) => {
    const pos = locate(doc, lineCounter, rawPath);
    return pos ? { ...issue, line: pos.line, column: pos.col } : issue;
  });
  throw new RecipeError(issues, source);
}

/** Validates an already-parsed value (e.g. a JSON request body). */
export function parseRecipeValue(value: unknown): Recipe {
  const result = recipeSchema.safeParse(value);
  if (result.success) return result.data;
  throw new RecipeError(issuesFromZod(result.error).map(({ rawPath: _r, ...i }) => i));
}

/** Reads and validates a recipe file. A missing file is a RecipeError naming it. */
export async function loadRecipeFile(path: string): Promise<{ recipe: Recipe; text: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RecipeError([{ path: '', message: `cannot read recipe file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }], path);
  }
  return { recipe: parseRecipeText(text, path), text };
}

/** The deepest YAML node on `path` that exists: an error about a missing key points at its parent. */
function locate(
  doc: ReturnType<typeof parseDocument>,
  lc: LineCounter,
  path: PropertyKey[],
): { line: number; col: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as Array<string | number>, true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]);
  }
  return undefined;
}
