/**
 * A port of spaCy's rule-based English tokenizer (`spacy.blank("en")`, spaCy 3.8), which is what datatrove 0.10
 * uses for English words (`split_into_words` → `SpaCyTokenizer("en")`) and, with the sentencizer, for sentences.
 *
 * The algorithm follows `spacy/tokenizer.pyx`: split the text into runs of whitespace and non-whitespace; peel
 * prefixes and suffixes off each non-whitespace chunk until none is left or a special case matches; keep a URL
 * whole; split the rest on infixes; finally retokenize token runs that spell a special case (the PhraseMatcher
 * step). The regexes and special cases are generated from spaCy itself (see generate-spacy-en.py).
 *
 * Residual differences from spaCy: JavaScript's `\p{...}` classes follow the Unicode version of the running
 * engine rather than Python's `unicodedata`, and Python's `\w` (used only by the URL pattern) is approximated by
 * `[\p{L}\p{N}_]`. Neither affects ASCII or Latin-script text.
 */
import { isSpace } from '../text/py-str.ts';
import { MULTI_TOKEN_EXCEPTIONS, SINGLE_TOKEN_EXCEPTIONS } from './spacy-en-exceptions.ts';
import { INFIXES, PREFIXES, SUFFIXES, URL_PATTERN } from './spacy-en-patterns.ts';

/** One token: its text and its UTF-16 offset in the tokenized string. Whitespace runs are tokens too. */
export interface Token {
  readonly text: string;
  readonly start: number;
}

// Sticky, so the engine tries position 0 only (every alternative is anchored with `^` anyway).
const PREFIX_RE = new RegExp(PREFIXES.map((p) => `^${p}`).join('|'), 'uy');
// Global, so a search can start near the end of the string (see findSuffix).
const SUFFIX_RE = new RegExp(SUFFIXES.map((p) => `${p}$`).join('|'), 'gu');
const INFIX_RE = new RegExp(INFIXES.join('|'), 'gu');
const URL_RE = new RegExp(URL_PATTERN, 'uy');
/**
 * Every suffix rule but `\.\.+` matches at most 5 code points (`اكواب`), i.e. at most 10 UTF-16 units, so a
 * suffix can only start in the last SUFFIX_WINDOW units or in a trailing run of dots.
 */
const SUFFIX_WINDOW = 12;
/**
 * Every infix rule starts with one of these characters or one outside printable ASCII (the icon class), so a chunk
 * without any has no infix and can skip the big infix regex, which dominates the tokenizer's cost.
 */
const MAY_HAVE_INFIX = /[.+\-*^,~:<>=/]|[^ -~]/u;

const SPECIALS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ...SINGLE_TOKEN_EXCEPTIONS.map((k) => [k, [k]] as const),
  ...Object.entries(MULTI_TOKEN_EXCEPTIONS),
]);

function findPrefix(s: string): number {
  PREFIX_RE.lastIndex = 0;
  const m = PREFIX_RE.exec(s);
  return m ? m[0].length : 0;
}

/** The leftmost suffix match, as Python's `re.search` finds it: the longest suffix any rule can take. */
function findSuffix(s: string): number {
  let from = Math.max(0, s.length - SUFFIX_WINDOW);
  if (s.endsWith('..')) {
    let dots = s.length - 2;
    while (dots > 0 && s[dots - 1] === '.') dots--;
    from = Math.min(from, dots);
  }
  // Lookbehinds still see the characters before `lastIndex`.
  SUFFIX_RE.lastIndex = from;
  const m = SUFFIX_RE.exec(s);
  return m ? m[0].length : 0;
}

function isUrl(s: string): boolean {
  URL_RE.lastIndex = 0;
  return URL_RE.test(s);
}

function findInfixes(s: string): RegExpMatchArray[] {
  if (!MAY_HAVE_INFIX.test(s)) return [];
  return [...s.matchAll(INFIX_RE)];
}

/** `Tokenizer._split_affixes` + `_attach_tokens` for one whitespace-free chunk. */
function tokenizeChunk(chunk: string, withSpecials: boolean): string[] {
  if (withSpecials) {
    const special = SPECIALS.get(chunk);
    if (special) return [...special];
  }
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  let s = chunk;
  let lastSize = -1;
  while (s !== '' && s.length !== lastSize) {
    if (withSpecials && SPECIALS.has(s)) break;
    lastSize = s.length;
    const preLen = findPrefix(s);
    const prefix = s.slice(0, preLen);
    const minusPre = s.slice(preLen);
    if (preLen !== 0 && minusPre !== '' && withSpecials && SPECIALS.has(minusPre)) {
      s = minusPre;
      prefixes.push(prefix);
      break;
    }
    const sufLen = findSuffix(s.slice(preLen));
    const suffix = s.slice(s.length - sufLen);
    const minusSuf = s.slice(0, s.length - sufLen);
    if (sufLen !== 0 && minusSuf !== '' && withSpecials && SPECIALS.has(minusSuf)) {
      s = minusSuf;
      suffixes.push(suffix);
      break;
    }
    if (preLen !== 0 && sufLen !== 0 && preLen + sufLen <= s.length) {
      s = s.slice(preLen, s.length - sufLen);
      prefixes.push(prefix);
      suffixes.push(suffix);
    } else if (preLen !== 0) {
      s = minusPre;
      prefixes.push(prefix);
    } else if (sufLen !== 0) {
      s = minusSuf;
      suffixes.push(suffix);
    }
  }
  const out = prefixes;
  if (s !== '') {
    const special = withSpecials ? SPECIALS.get(s) : undefined;
    if (special) out.push(...special);
    else if (isUrl(s)) out.push(s);
    else splitInfixes(s, out);
  }
  for (let i = suffixes.length - 1; i >= 0; i--) out.push(suffixes[i]!);
  return out;
}

function splitInfixes(s: string, out: string[]): void {
  let start = 0;
  for (const m of findInfixes(s)) {
    const infixStart = m.index!;
    const infixEnd = infixStart + m[0].length;
    // spaCy skips an infix at the very start of the string (it would leave an empty token before it).
    if (infixStart === 0) continue;
    if (infixStart !== start) out.push(s.slice(start, infixStart));
    if (infixStart !== infixEnd) out.push(s.slice(infixStart, infixEnd));
    start = infixEnd;
  }
  if (start < s.length) out.push(s.slice(start));
}

interface MatcherPattern {
  readonly key: string;
  readonly tokens: readonly string[];
}

let matcherIndex: Map<string, MatcherPattern[]> | null = null;

/**
 * The special cases spaCy puts in its PhraseMatcher (`add_special_case` with `faster_heuristics`): those an affix
 * or infix rule would split. Indexed by their first token without special cases.
 */
function matcher(): Map<string, MatcherPattern[]> {
  if (matcherIndex) return matcherIndex;
  matcherIndex = new Map();
  for (const key of SPECIALS.keys()) {
    // Whitespace-only special cases map to themselves: retokenizing them changes nothing.
    if ([...key].some(isSpace)) continue;
    if (findPrefix(key) === 0 && findInfixes(key).length === 0 && findSuffix(key) === 0) continue;
    const tokens = tokenizeChunk(key, false);
    const list = matcherIndex.get(tokens[0]!) ?? [];
    list.push({ key, tokens });
    matcherIndex.set(tokens[0]!, list);
  }
  return matcherIndex;
}

/** `Tokenizer._apply_special_cases`, within one chunk (a match across whitespace never equals a special case). */
function applySpecialMatches(tokens: string[]): string[] {
  const index = matcher();
  const spans: Array<{ start: number; end: number; key: string }> = [];
  for (let i = 0; i < tokens.length; i++) {
    for (const p of index.get(tokens[i]!) ?? []) {
      if (i + p.tokens.length > tokens.length) continue;
      let ok = true;
      for (let j = 1; j < p.tokens.length && ok; j++) ok = tokens[i + j] === p.tokens[j];
      if (ok) spans.push({ start: i, end: i + p.tokens.length, key: p.key });
    }
  }
  if (spans.length === 0) return tokens;
  // Longest first, then leftmost; a span is kept when its first and last tokens are still free.
  spans.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const seen = new Set<number>();
  const kept: typeof spans = [];
  for (const span of spans) {
    if (!seen.has(span.start) && !seen.has(span.end - 1)) kept.push(span);
    for (let t = span.start; t < span.end; t++) seen.add(t);
  }
  kept.sort((a, b) => a.start - b.start);
  const out: string[] = [];
  let i = 0;
  for (const span of kept) {
    while (i < span.start) out.push(tokens[i++]!);
    out.push(...SPECIALS.get(span.key)!);
    i = span.end;
  }
  while (i < tokens.length) out.push(tokens[i++]!);
  return out;
}

const CHUNK_CACHE_LIMIT = 100_000;
const chunkCache = new Map<string, readonly string[]>();

function chunkTokens(chunk: string): readonly string[] {
  let tokens = chunkCache.get(chunk);
  if (!tokens) {
    tokens = applySpecialMatches(tokenizeChunk(chunk, true));
    if (chunkCache.size >= CHUNK_CACHE_LIMIT) chunkCache.clear();
    chunkCache.set(chunk, tokens);
  }
  return tokens;
}

/**
 * The whitespace/non-whitespace runs of `Tokenizer._tokenize_affixes`: calls `onChunk` for each run of
 * non-whitespace and `onSpace` for each whitespace run that becomes a token (all but a single space after a
 * token, which spaCy stores as that token's trailing whitespace).
 */
function scan(text: string, onChunk: (from: number, to: number) => void, onSpace: (from: number, to: number) => void): void {
  if (text === '') return;
  let inWs = isSpace(text[0]!);
  let start = 0;
  let i = 0;
  // Iterates UTF-16 units: whitespace is always in the BMP, so a surrogate never flips `inWs`.
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (isSpace(c) === inWs) continue;
    if (start < i) (inWs ? onSpace : onChunk)(start, i);
    start = c === ' ' ? i + 1 : i;
    inWs = !inWs;
  }
  if (start < i) (inWs ? onSpace : onChunk)(start, i);
}

/**
 * Tokenizes `text` exactly as `spacy.blank("en")(text)` would: every token with its offset, whitespace tokens
 * included.
 */
export function spacyTokens(text: string): Token[] {
  const out: Token[] = [];
  scan(
    text,
    (from, to) => {
      let at = from;
      for (const t of chunkTokens(text.slice(from, to))) {
        out.push({ text: t, start: at });
        at += t.length;
      }
    },
    (from, to) => out.push({ text: text.slice(from, to), start: from }),
  );
  return out;
}

/** The last few texts split into words: datatrove's rules run one after another on the same document. */
const recentWords: Array<{ text: string; words: readonly string[] }> = [];
const RECENT_LIMIT = 4;

/**
 * datatrove `split_into_words(text, "eng")`: spaCy's tokens without the whitespace tokens (`strip_strings`).
 * The result is shared between calls with the same text; do not mutate it.
 */
export function wordTokenize(text: string): readonly string[] {
  for (const r of recentWords) if (r.text === text) return r.words;
  const words: string[] = [];
  scan(
    text,
    (from, to) => {
      for (const t of chunkTokens(text.slice(from, to))) words.push(t);
    },
    () => {},
  );
  if (recentWords.length >= RECENT_LIMIT) recentWords.shift();
  recentWords.push({ text, words });
  return words;
}
