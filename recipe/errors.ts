/** Path-precise recipe errors, shared by the loader, the compiler, the CLI and the API. */
import type { z } from 'zod';

export interface RecipeIssue {
  /** e.g. `stages[2].with.beta`; empty for the document itself. */
  path: string;
  message: string;
  /** 1-based position in the YAML source, when the recipe came from text. */
  line?: number;
  column?: number;
}

/** An invalid recipe: every problem found, not only the first. Permanent (never retried). */
export class RecipeError extends Error {
  readonly issues: RecipeIssue[];
  constructor(issues: RecipeIssue[], source?: string) {
    super(
      `${source ? `${source}: ` : ''}invalid recipe (${issues.length} ${issues.length === 1 ? 'error' : 'errors'}):\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join('\n'),
    );
    this.name = 'RecipeError';
    this.issues = issues;
  }
}

export function formatIssue(i: RecipeIssue): string {
  const where = i.line !== undefined ? `line ${i.line}: ` : '';
  return `${where}${i.path || '(recipe)'}: ${i.message}`;
}

/** `['stages', 2, 'with', 'beta']` → `stages[2].with.beta` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/** Flattens a zod error into issues; unions report the branch that got furthest. */
export function issuesFromZod(error: z.ZodError): Array<RecipeIssue & { rawPath: PropertyKey[] }> {
  const out: Array<RecipeIssue & { rawPath: PropertyKey[] }> = [];
  for (const issue of error.issues) {
    if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors) && issue.errors.length > 0) {
      // Pick the branch whose errors went deepest: it is the one the user meant.
      const branches = issue.errors as Array<z.core.$ZodIssue[]>;
      const best = branches.reduce((a, b) => (depth(b) > depth(a) ? b : a));
      if (depth(best) > 0) {
        for (const sub of best) {
          const rawPath = [...issue.path, ...sub.path];
          out.push({ path: formatPath(rawPath), message: sub.message, rawPath });
        }
        continue;
      }
    }
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    out.push({ path: formatPath(issue.path), message, rawPath: [...issue.path] });
  }
  return out;
}

function depth(issues: z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}
