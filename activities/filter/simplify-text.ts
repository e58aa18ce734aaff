/**
 * datatrove's `simplify_text` with its default `TextNormConfig` (datatrove 0.10, `datatrove.utils.text`): the
 * normalization MinHash dedup applies before it splits a document into words, so that near-duplicates differing
 * only in case, numbers, punctuation, spacing or accents still share their shingles.
 */
import { PY_WHITESPACE } from './rules/text/py-str.ts';

/**
 * datatrove `PUNCTUATION`, character for character: the marks `simplify_text` turns into spaces (unlike the rules'
 * `PUNCTUATION_SET`, it lacks most of `TERMINAL_PUNCTUATION`), plus the C0 controls but `\t` and `\n`, DEL and C1.
 */
export const DATATROVE_PUNCTUATION: string =
  '!/\u2014\u201d:\uff05\uff11\u3008&(\u3001\u2501\\\u3010#%\u300c\u300d\uff0c\u3011\uff1b+^]~\u201c\u300a\u201e\';\u2019{|\u2236\u00b4[=-`*\uff0e\uff08\u2013\uff1f\uff01\uff1a$\uff5e\u00ab\u3009,><\u300b)?\uff09\u3002\u2026@_."}\u25ba\u00bb' +
  [[0, 9], [11, 13], [13, 32], [127, 160]].flatMap(([a, b]) => Array.from({ length: b! - a! }, (_, i) => String.fromCharCode(a! + i))).join('');

const hex = (ch: string): string => `\\u{${ch.codePointAt(0)!.toString(16)}}`;
const PUNCTUATION_RE = new RegExp(`[${Array.from(DATATROVE_PUNCTUATION, hex).join('')}]`, 'gu');
// datatrove uses the `regex` module's \p{Nd}: a run of digits in any script, with at most one decimal part.
const NUMBERS_RE = /\p{Nd}+(?:[.,\u060c\u066b\u2396\u2397\u2398]\p{Nd}+)?/gu;
// Python's `re` `\s` on str patterns is `str.isspace()`, which differs from JavaScript's `\s` (U+001C–U+001F, U+0085, not U+FEFF).
const WHITESPACE_RE = new RegExp(`[${Array.from(PY_WHITESPACE, hex).join('')}]+`, 'gu');
const EDGE_WHITESPACE_RE = new RegExp(`^[${Array.from(PY_WHITESPACE, hex).join('')}]+|[${Array.from(PY_WHITESPACE, hex).join('')}]+$`, 'gu');
const NONSPACING_MARK_RE = /\p{Mn}/gu;

/**
 * `simplify_text(text)` with datatrove's defaults, step for step: lowercase; every number (`\p{Nd}+`, optionally
 * with one decimal part such as `3.14` or `1,5`) becomes `0`; every {@link DATATROVE_PUNCTUATION} character becomes
 * a space; whitespace runs collapse to one space and the ends are stripped; NFD, then nonspacing marks (category
 * Mn, i.e. accents) are dropped. So `"Café: 3,000 Guests!"` becomes `"cafe 0 guests"`.
 */
export function simplifyText(text: string): string {
  let t = text.toLowerCase();
  t = t.replace(NUMBERS_RE, '0');
  t = t.replace(PUNCTUATION_RE, ' ');
  t = t.replace(EDGE_WHITESPACE_RE, '').replace(WHITESPACE_RE, ' ');
  t = t.normalize('NFD').replace(NONSPACING_MARK_RE, '');
  return t.replace(EDGE_WHITESPACE_RE, '');
}
