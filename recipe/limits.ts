/**
 * Explicit bounds on what a recipe may be, checked before anything recurses
 * into it: a hostile document (deep nesting, huge fan-out, NUL characters,
 * alias expansion) becomes a RecipeError naming the path, never a stack
 * overflow, a blocked event loop, or a string Postgres refuses to store.
 * The numbers are documented in the README ("Limits").
 */
import type { RecipeIssue } from './errors.ts';

export const LIMITS = {
  /** Recipe text (YAML or JSON), in bytes. The HTTP API also caps any request body at 1 MiB. */
  recipeBytes: 64 * 1024,
  stages: 500,
  datasets: 100,
  /** Levels of nested objects and arrays (a recipe needs about 8). */
  depth: 32,
  /** Characters in any one string, keys included. */
  stringLength: 8192,
  /** Values in the whole document once YAML aliases are expanded. */
  values: 50_000,
  /** The compiled plan as JSON, in bytes: a workflow's input must stay well under Temporal's 2 MB payload limit. */
  planBytes: 1024 * 1024,
  /** Cells of one sweep (after `include` and `exclude`): each is a child run. */
  sweepCells: 64,
} as const;

/** How many problems one limit check reports before it stops looking. */
const MAX_ISSUES = 20;

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | null;
  key: PropertyKey;
}

function pathOf(frame: Frame): PropertyKey[] {
  const out: PropertyKey[] = [];
  for (let f: Frame | null = frame; f && f.parent; f = f.parent) out.push(f.key);
  return out.reverse();
}

function stringProblem(s: string, what: string): string | null {
  if (s.length > LIMITS.stringLength) return `${what} of ${s.length} characters exceeds the limit of ${LIMITS.stringLength}`;
  if (s.includes('\u0000')) return `${what} contains a NUL character (\\u0000), which is not allowed`;
  return null;
}

/**
 * Walks a parsed document iteratively (no recursion, so no depth can overflow the stack) and reports every
 * value beyond {@link LIMITS}: nesting depth, string length, NUL characters, the number of stages, datasets
 * and values. Cyclic values (YAML aliases can make them) are stopped by the depth limit.
 */
export function checkLimits(doc: unknown): Array<RecipeIssue & { rawPath: PropertyKey[] }> {
  const issues: Array<RecipeIssue & { rawPath: PropertyKey[] }> = [];
  const report = (frame: Frame, message: string, extra: PropertyKey[] = []) => {
    const rawPath = [...pathOf(frame), ...extra];
    issues.push({ path: formatRawPath(rawPath), message, rawPath });
  };
  const stack: Frame[] = [{ value: doc, depth: 0, parent: null, key: '' }];
  let values = 0;
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const frame = stack.pop()!;
    const { value, depth } = frame;
    if (++values > LIMITS.values) {
      issues.push({ path: '', message: `the recipe has more than ${LIMITS.values} values (after YAML aliases are expanded), over the limit`, rawPath: [] });
      break;
    }
    if (typeof value === 'string') {
      const problem = stringProblem(value, 'a string');
      if (problem) report(frame, problem);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= LIMITS.depth) {
      report(frame, `nested deeper than ${LIMITS.depth} levels, the limit`);
      continue;
    }
    if (frame.parent === null) {
      const top = value as Record<string, unknown>;
      if (Array.isArray(top.stages) && top.stages.length > LIMITS.stages) {
        report(frame, `${top.stages.length} stages exceed the limit of ${LIMITS.stages}`, ['stages']);
        continue;
      }
      const datasets = top.datasets;
      if (datasets && typeof datasets === 'object' && !Array.isArray(datasets) && Object.keys(datasets).length > LIMITS.datasets) {
        report(frame, `${Object.keys(datasets).length} datasets exceed the limit of ${LIMITS.datasets}`, ['datasets']);
        continue;
      }
    }
    if (Array.isArray(value)) {
      if (values + value.length > LIMITS.values) {
        report(frame, `a list of ${value.length} items takes the recipe over the limit of ${LIMITS.values} values`);
        break;
      }
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], depth: depth + 1, parent: frame, key: i });
      continue;
    }
    const keys = Object.keys(value);
    if (values + keys.length > LIMITS.values) {
      report(frame, `an object of ${keys.length} keys takes the recipe over the limit of ${LIMITS.values} values`);
      break;
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const problem = stringProblem(key, 'a key');
      if (problem) {
        report(frame, problem, [key.length > 64 ? `${key.slice(0, 64).replaceAll('\u0000', '\\u0000')}…` : key.replaceAll('\u0000', '\\u0000')]);
        continue;
      }
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, parent: frame, key });
    }
  }
  return issues;
}

/** Like formatPath, but makes NUL characters in keys visible. */
function formatRawPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg).replaceAll('\u0000', '\\u0000');
      out += out ? `.${s}` : s;
    }
  }
  return out;
}

/**
 * The deepest nesting of flow collections (`[`, `{`) in YAML or JSON text, skipping quoted strings and
 * comments: a cheap linear pre-scan so a 10,000-deep `[[[[…` is refused before the YAML parser recurses
 * into it. Returns the 1-based line where the limit is first exceeded, or null.
 */
export function flowDepthExceeded(text: string, limit: number = LIMITS.depth): { line: number; column: number } | null {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) {
      line++;
      lineStart = i + 1;
      continue;
    }
    if (quote === '"') {
      if (ch === 92) i++; // backslash escape
      else if (ch === 34) quote = null;
      continue;
    }
    if (quote === "'") {
      if (ch === 39) {
        if (text.charCodeAt(i + 1) === 39) i++; // '' is an escaped quote
        else quote = null;
      }
      continue;
    }
    if (ch === 34) quote = '"';
    else if (ch === 39) {
      // A ' starts a quoted scalar only where a scalar starts, not inside a word like don't.
      const prev = i > 0 ? text[i - 1]! : ' ';
      if (/[\s[{,:]/.test(prev)) quote = "'";
    } else if (ch === 35 && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end - 1;
    } else if (ch === 91 || ch === 123) {
      if (++depth > limit) return { line, column: i - lineStart + 1 };
    } else if (ch === 93 || ch === 125) {
      if (depth > 0) depth--;
    }
  }
  return null;
}

/** `8GiB`, `512 MiB`, `2G`, `1.5TB`, `1048576` → bytes. Binary (KiB) and SI (KB) suffixes; K, M, G, T alone are binary. */
export function parseByteSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|m|g|t|kb|mb|gb|tb|kib|mib|gib|tib|b)?\s*$/i.exec(text);
  if (!m) return null;
  const unit = (m[2] ?? 'b').toLowerCase();
  const pow = { b: 0, k: 1, m: 2, g: 3, t: 4 }[unit[0] as 'b' | 'k' | 'm' | 'g' | 't'];
  const base = unit.length === 2 && unit.endsWith('b') ? 1000 : 1024;
  const bytes = Math.floor(Number(m[1]) * base ** pow);
  return Number.isFinite(bytes) && bytes > 0 ? bytes : null;
}

/** Bytes for people: `412.3 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} B` : `${v.toFixed(1)} ${units[u]}`;
}
