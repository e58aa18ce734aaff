/**
 * Python `str` semantics the datatrove filters rely on, reproduced in JavaScript. datatrove measures text in
 * code points and splits on Python's notion of whitespace and line boundaries, which differ from JavaScript's
 * (`.length` counts UTF-16 units; `\s` includes U+FEFF but not U+001C–U+001F or U+0085).
 */

/** Characters for which Python's `str.isspace()` is true. */
export const PY_WHITESPACE = '\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

const WS_SET = new Set(PY_WHITESPACE);
const WS_RUN = new RegExp(`[${PY_WHITESPACE}]+`, 'u');
const LEADING_WS = new RegExp(`^[${PY_WHITESPACE}]+`, 'u');
const TRAILING_WS = new RegExp(`[${PY_WHITESPACE}]+$`, 'u');
/** Line boundaries of Python's `str.splitlines()`; `\r\n` counts as one. Some are control characters by definition. */
// eslint-disable-next-line no-control-regex
const LINE_BREAK = /\r\n|[\n\r\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029]/u;
const ALPHA = /\p{L}/u;

/** Python `c.isspace()` for one character. */
export function isSpace(c: string): boolean {
  const code = c.charCodeAt(0);
  // Printable ASCII, the common case, is never whitespace except the space itself.
  if (code > 0x20 && code < 0x7f) return false;
  return WS_SET.has(c);
}

/** Python `len(s)`: the number of code points. */
export function pyLen(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Python `s.strip()`. */
export function pyStrip(s: string): string {
  return pyRstrip(pyLstrip(s));
}

/** Python `s.lstrip()`. */
export function pyLstrip(s: string): string {
  return s.replace(LEADING_WS, '');
}

/** Python `s.rstrip()`. */
export function pyRstrip(s: string): string {
  return s.replace(TRAILING_WS, '');
}

/** Python `s.split()` (no separator): runs of whitespace separate, empty fields are dropped. */
export function pySplit(s: string): string[] {
  return s.split(WS_RUN).filter((w) => w !== '');
}

/** Python `s.splitlines()`: no trailing empty line, `''` gives `[]`. */
export function pySplitlines(s: string): string[] {
  if (s === '') return [];
  const lines = s.split(LINE_BREAK);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Python `s.count(sub)`: non-overlapping occurrences, scanning left to right. */
export function pyCount(s: string, sub: string): number {
  return s.split(sub).length - 1;
}

/** Python `s.endswith(tuple(suffixes))`. */
export function endsWithAny(s: string, suffixes: readonly string[]): boolean {
  for (const x of suffixes) if (s.endsWith(x)) return true;
  return false;
}

/** Python `any(c.isalpha() for c in w)`. */
export function hasAlpha(w: string): boolean {
  return ALPHA.test(w);
}
