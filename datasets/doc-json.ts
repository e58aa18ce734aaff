import type { Doc } from './types.ts';

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A copy of `value` with object keys sorted at every depth, so equal values serialize to equal bytes. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep(value[key]);
    return out;
  }
  return value;
}

/**
 * The canonical JSONL line of a document (no newline): fields in a fixed order, meta keys sorted, absent
 * fields omitted. Equal documents give equal bytes, which is what makes equal datasets share an id.
 */
export function docToLine(doc: Doc): string {
  const out: Record<string, unknown> = { id: doc.id, text: doc.text };
  if (doc.domain !== undefined) out.domain = doc.domain;
  if (doc.license !== undefined) out.license = doc.license;
  if (doc.meta !== undefined && Object.keys(doc.meta).length > 0) out.meta = sortKeysDeep(doc.meta);
  return JSON.stringify(out);
}

/**
 * Checks a parsed value is a {@link Doc} and returns it with only the Doc fields. Returns an error message
 * (no location; the caller adds it) instead of throwing.
 */
export function parseDoc(value: unknown): Doc | string {
  if (!isRecord(value)) return 'expected a JSON object';
  const { id, text, domain, license, meta } = value;
  if (typeof id !== 'string' || id === '') return 'expected a non-empty string "id" field';
  if (typeof text !== 'string') return 'expected a string "text" field';
  if (domain !== undefined && typeof domain !== 'string') return '"domain" must be a string';
  if (license !== undefined && typeof license !== 'string') return '"license" must be a string';
  if (meta !== undefined && !isRecord(meta)) return '"meta" must be an object';
  const doc: Doc = { id, text };
  if (domain !== undefined) doc.domain = domain;
  if (license !== undefined) doc.license = license;
  if (meta !== undefined) doc.meta = meta;
  return doc;
}

/** V8's JSON.parse messages that name only the grammar, never the input (the part before " in JSON at position N"). */
const SAFE_JSON_PROBLEM = /^(?:Expected [^"]*|Unterminated string|Bad control character in string literal|Bad escaped character|Unexpected non-whitespace character after JSON|No number after minus sign|Exponent part is missing a number|Unterminated fractional number|Unexpected end of JSON input)$/;

/**
 * What is wrong with a line JSON.parse refused, without its content: V8's messages quote the first bytes
 * of the input (`Unexpected token 'r', "root:x:0:0"... is not valid JSON`), which for a file that is not
 * JSONL at all (`/etc/passwd`, `/proc/self/environ`) is exactly what must not reach an API client.
 */
export function jsonProblem(err: unknown): string {
  const m = /^(.*?)(?: in JSON at position (\d+))?(?: \(line \d+ column \d+\))?$/s.exec(err instanceof Error ? err.message : '');
  const phrase = m?.[1] ?? '';
  if (!SAFE_JSON_PROBLEM.test(phrase)) return 'invalid JSON (unexpected character; expected one JSON object per line)';
  const at = m?.[2] !== undefined ? ` at character ${Number(m[2]) + 1}` : '';
  return `invalid JSON: ${phrase.charAt(0).toLowerCase()}${phrase.slice(1)}${at}`;
}
