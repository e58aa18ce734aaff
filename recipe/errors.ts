/**
 * Path-precise recipe errors, shared by the loader, the compiler, the CLI and the API. Every message names
 * what is allowed: {@link recipeErrorMap} rewrites zod's enum, literal, unknown-key, discriminator and type
 * messages at the root, so no schema needs its own wording for them.
 */
import { z } from 'zod';
import { didYouMean, listNames } from './suggest.ts';

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

/** A short, quoted rendering of a value for messages. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return text.length > 64 ? `${text.slice(0, 61)}…` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value === undefined) return 'nothing';
  const t = typeof value;
  return t === 'object' ? 'an object' : t === 'string' ? `a string (${show(value)})` : `a ${t} (${show(value)})`;
}

const ARTICLE: Record<string, string> = { object: 'an object', array: 'a list', string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false' };

/**
 * The zod error map of every recipe parse: enum and literal errors list the allowed values (with the nearest
 * one), unknown keys list the allowed keys, an unknown stage kind names the kinds, a wrong type says what it got.
 * Anything else keeps zod's message (or the schema's own).
 */
export function recipeErrorMap(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_value': {
      const values = iss.values.map((v) => (typeof v === 'string' ? v : String(v)));
      if (values.length === 1) return `expected ${show(iss.values[0])}, got ${show(iss.input)}`;
      return `unknown value ${show(iss.input)}${typeof iss.input === 'string' ? didYouMean(iss.input, values) : ''}: expected one of ${listNames(values.map((v) => JSON.stringify(v)), 40)}`;
    }
    case 'unrecognized_keys': {
      const inst = iss.inst;
      const allowed = inst instanceof z.core.$ZodObject ? Object.keys(inst._zod.def.shape) : [];
      const keys = iss.keys.map((k) => `"${k.length > 64 ? `${k.slice(0, 64)}…` : k}"`).join(', ');
      const hint = iss.keys[0] !== undefined ? didYouMean(iss.keys[0], allowed) : '';
      return `unknown ${iss.keys.length === 1 ? 'key' : 'keys'} ${keys}${hint}${allowed.length > 0 ? ` (allowed: ${listNames(allowed, 40)})` : ''}`;
    }
    case 'invalid_union': {
      if (!('discriminator' in iss) || typeof iss.discriminator !== 'string') return undefined;
      const options = 'options' in iss && Array.isArray(iss.options) ? iss.options.map(String) : [];
      const input = iss.input;
      const got = input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>)[iss.discriminator] : undefined;
      const what = got === undefined ? `missing "${iss.discriminator}"` : `unknown ${iss.discriminator} ${show(got)}${typeof got === 'string' ? didYouMean(got, options) : ''}`;
      return `${what}: expected one of ${options.join(', ')}`;
    }
    case 'invalid_type': {
      if (iss.input === undefined) return `required: expected ${ARTICLE[iss.expected] ?? iss.expected}`;
      return `expected ${ARTICLE[iss.expected] ?? iss.expected}, got ${kindOf(iss.input)}`;
    }
    default:
      return undefined;
  }
}

/** Flattens a zod error into issues; unions report the branch that got furthest, or what each branch expected. */
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
      // No branch got further than the value itself: say what each form would have needed.
      const expected = [...new Set(branches.map((b) => b.map((i) => i.message).join(', ')))];
      out.push({ path: formatPath(issue.path), message: expected.join('; or '), rawPath: [...issue.path] });
      continue;
    }
    out.push({ path: formatPath(issue.path), message: issue.message, rawPath: [...issue.path] });
  }
  return out;
}

function depth(issues: z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}
