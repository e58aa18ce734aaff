/**
 * The `rules` rewrite engine: an offline, deterministic cleanup that needs no model. It cannot add
 * information (REWIRE's point) but recovers documents whose content is fine and whose form is not:
 *
 * 1. Normalise: CRLF/CR to LF, tabs and no-break spaces to spaces, zero-width characters removed.
 * 2. Drop boilerplate lines, by the patterns in {@link BOILERPLATE_PATTERNS} (only lines of at most
 *    {@link BOILERPLATE_MAX_WORDS} words: a long paragraph that mentions cookies is content).
 * 3. Repair each line ({@link repairLine}): spacing, repeated punctuation, missing sentence-final
 *    punctuation, obvious capitalisation. URLs and e-mail addresses are left untouched.
 *    A line alone in its paragraph with at most {@link HEADING_MAX_WORDS} words and no punctuation
 *    is taken for a heading and gets no final period.
 * 4. Drop repeated lines: a repaired line equal to an earlier one when case, spacing and
 *    punctuation are ignored is removed (the first one stays).
 * 5. Collapse runs of blank lines to one (paragraphs survive) and trim.
 *
 * A document with nothing left rewrites to null.
 */
import type { RewriteEngine } from '../engine.ts';

/** One kind of boilerplate line. */
export interface BoilerplatePattern {
  name: string;
  /** Tested against the trimmed line. */
  pattern: RegExp;
}

/** Lines longer than this (in words) are never treated as boilerplate. */
export const BOILERPLATE_MAX_WORDS = 25;

/**
 * Boilerplate lines, by kind. Each pattern is tested against the whole trimmed line.
 * - `navigation`: menus and breadcrumbs (`Home | About | Contact`, `Home > Blog > Post`: three or
 *   more items of at most three words joined by `|`, `>`, `»`, `›` or `·`), and the usual link
 *   labels alone on a line (`Skip to content`, `Main menu`, `Back to top`, `Read more`,
 *   `Next post`, `Home`, `Search`, …).
 * - `cookies`: cookie banners (`We use cookies …`, `This site uses cookies`, `Accept all cookies`,
 *   `Cookie policy`, `… use of cookies`).
 * - `click-here`: calls to action (`Click here to …`, `Tap here`).
 * - `copyright`: `© 2024 …`, `Copyright 2024 …`, `Copyright © …`, `(c) 2019 …`, `All rights reserved`.
 * - `share`: share and follow widgets (`Share this:`, `Share on Facebook`, `Tweet`, `Pin it`,
 *   `Follow us on …`, `Print this page`, or a line made only of social network names).
 * - `subscribe`: newsletter and account prompts (`Subscribe to our newsletter`, `Sign up for our
 *   newsletter`, `Join our mailing list`, `Log in | Register`, `Subscribe` alone).
 * - `tags`: taxonomy lines (`Tags: …`, `Categories: …`, `Filed under: …`, `Posted in …`).
 * - `advertisement`: `Advertisement`, `Sponsored`, `Ad`, alone on the line.
 */
export const BOILERPLATE_PATTERNS: readonly BoilerplatePattern[] = [
  { name: 'navigation', pattern: /^(?:[^|>»›·\s]+(?:\s+[^|>»›·\s]+){0,2}\s*[|>»›·]\s*){2,}[^|>»›·\s]+(?:\s+[^|>»›·\s]+){0,2}$/u },
  {
    name: 'navigation',
    pattern:
      /^(?:skip to (?:main )?(?:content|navigation)|(?:main |toggle )?(?:menu|navigation)|back to top|read more|continue reading|(?:«\s*)?(?:next|previous|prev|older|newer) (?:post|page|article|entries|entry)(?:\s*»)?|home|search)\W*$/iu,
  },
  {
    name: 'cookies',
    pattern:
      /\b(?:we|(?:this|our) (?:web)?site) uses? cookies\b|\bcookie (?:policy|settings|preferences|consent|notice)\b|\b(?:accept|allow|manage|reject) (?:all )?cookies\b|\buse of cookies\b/iu,
  },
  { name: 'click-here', pattern: /\b(?:click|tap) here\b/iu },
  { name: 'copyright', pattern: /^(?:©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)|\d{4}))|©\s*\d{4}|\ball rights reserved\b/iu },
  {
    name: 'share',
    pattern:
      /^(?:share (?:this|on|via)\b|share:|tweet(?: this)?\W*$|pin it\W*$|follow us (?:on|at)\b|like us on\b|email this\b|print this\b|(?:(?:facebook|twitter|x|linkedin|pinterest|reddit|whatsapp|email|instagram|youtube|tumblr)\W*){2,}$)/iu,
  },
  {
    name: 'subscribe',
    pattern:
      /^(?:subscribe(?: to (?:our|the) (?:newsletter|blog|channel|feed|mailing list))?\W*$|subscribe to (?:our|the) (?:newsletter|blog|channel|feed|mailing list)\b|(?:sign up|register) (?:for|to) (?:our|the) (?:newsletter|mailing list|updates)\b|join our (?:newsletter|mailing list)\b|(?:log ?in|sign in)(?:\s*[|/]\s*(?:register|sign up))?\W*$|register\W*$)/iu,
  },
  { name: 'tags', pattern: /^(?:tags|tagged|categories|category|filed under)\s*:|^posted in\b/iu },
  { name: 'advertisement', pattern: /^(?:advertisement|sponsored|ad)\W*$/iu },
];

const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/gu;

/** The kind of boilerplate `line` (trimmed) is, or null. */
export function boilerplateKind(line: string): string | null {
  const words = line.split(/\s+/u).filter((w) => w !== '').length;
  if (words === 0 || words > BOILERPLATE_MAX_WORDS) return null;
  for (const p of BOILERPLATE_PATTERNS) if (p.pattern.test(line)) return p.name;
  return null;
}

/** Abbreviations after whose period the next word is not a sentence start. */
const ABBREVIATIONS = new Set(['e.g', 'i.e', 'etc', 'vs', 'mr', 'mrs', 'ms', 'dr', 'st', 'no', 'approx', 'fig', 'cf', 'al', 'jr', 'sr', 'inc', 'ltd', 'co', 'p', 'pp', 'vol']);

/** URLs and e-mail addresses, protected from the punctuation repairs. */
const PROTECTED = /\b(?:https?:\/\/|www\.)\S+|\S+@\S+\.\S+/giu;

/** True when `token` ends a sentence: `. ! ?` at its end, and not an abbreviation, an initial or an ellipsis. */
function endsSentence(token: string): boolean {
  if (/[!?]$/u.test(token)) return true;
  if (!/[^.]\.$/u.test(token)) return false;
  const word = token.slice(0, -1).replace(/^\W+/u, '');
  return !(ABBREVIATIONS.has(word.toLowerCase()) || /^\p{L}$/u.test(word) || /\.\p{L}/u.test(word));
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/**
 * Repairs one line's spacing and punctuation:
 * - runs of spaces become one; no space before `, . ; : ! ? ) ] }` nor after `( [ {`; a space
 *   misplaced before punctuation moves after it (`km ,and` → `km, and`);
 * - a space is added after `, ;` and after `. ! ?` when a word follows directly (`a,b` → `a, b`,
 *   `end.Next` → `end. Next`; not inside numbers like `3.14` or abbreviations like `U.S.`);
 * - repeated punctuation is reduced: `!!!` → `!`, `?!?` → `?`, `,,` → `,`, `..` → `.`, four or more
 *   dots → `...` (an ellipsis is kept);
 * - a sentence-like line (5+ words, fewer than half of them capitalised) ending in a letter or
 *   digit gets a final period, unless `opts.finalPeriod` is false (the document pass sets it so for
 *   headings: see {@link HEADING_MAX_WORDS});
 * - obvious capitalisation: the all-lowercase first word of a sentence-like line or of a sentence
 *   after `. ! ?` (not after a known abbreviation or a single-letter initial), and the pronoun `i`.
 */
export function repairLine(input: string, opts: { finalPeriod?: boolean } = {}): string {
  const saved: string[] = [];
  let line = input.replace(PROTECTED, (m) => {
    saved.push(m);
    return `\uE000${saved.length - 1}\uE000`;
  });
  line = line
    .replace(/ {2,}/gu, ' ')
    .replace(/([!?])[!?]+/gu, '$1')
    .replace(/,{2,}/gu, ',')
    .replace(/;{2,}/gu, ';')
    .replace(/\.{4,}/gu, '...')
    .replace(/(?<!\.)\.\.(?!\.)/gu, '.')
    .replace(/ +([,.;:!?])(?=\p{L})/gu, '$1 ')
    .replace(/ +([,.;:!?)\]}])/gu, '$1')
    .replace(/([([{]) +/gu, '$1')
    .replace(/([,;])(?=\p{L})/gu, '$1 ')
    .replace(/(\p{Ll}{2,}|\d|[!?])([.!?])(?=\p{Lu}\p{Ll})/gu, '$1$2 ')
    .replace(/([!?])(?=\p{L})/gu, '$1 ')
    .trim();

  const words = line.split(' ').filter((w) => w !== '');
  const capitalized = words.filter((w) => /^\p{Lu}/u.test(w)).length;
  const sentenceLike = words.length >= 5 && capitalized / words.length < 0.5;
  if (sentenceLike && opts.finalPeriod !== false && /[\p{L}\p{N}]$/u.test(line)) line += '.';

  line = line.replace(/(^|[\s"'(])i(?=$|[\s,;:!?]|['’](?:m|ve|ll|d)\b|\.(?!\p{L}))/gu, '$1I');
  const tokens = line.split(' ');
  for (let t = 1; t < tokens.length; t++) {
    if (endsSentence(tokens[t - 1]!) && /^\p{Ll}+(?:[,.;:!?]*)$/u.test(tokens[t]!)) tokens[t] = capitalize(tokens[t]!);
  }
  if (sentenceLike && /^\p{Ll}+(?:[,.;:!?]*)$/u.test(tokens[0] ?? '')) tokens[0] = capitalize(tokens[0]!);
  line = tokens.join(' ');

  return line.replace(/\uE000(\d+)\uE000/gu, (_, i: string) => saved[Number(i)] ?? '');
}

/** A one-line paragraph of at most this many words and no punctuation is a heading: it gets no final period. */
export const HEADING_MAX_WORDS = 8;

/** Rewrites one document with the rules above; null when nothing is left. */
export function rewriteWithRules(text: string): string | null {
  // Boilerplate and blank lines go first, so a heading is recognised by its neighbours after cleanup.
  const kept: string[] = [];
  for (const raw of text.replace(/\r\n?/gu, '\n').replace(ZERO_WIDTH, '').replace(/[\t\u00a0\u2007\u202f]/gu, ' ').split('\n')) {
    const trimmed = raw.trim();
    if (trimmed === '') {
      if (kept.length > 0 && kept[kept.length - 1] !== '') kept.push('');
    } else if (boilerplateKind(trimmed) === null) {
      kept.push(trimmed);
    }
  }
  const seen = new Set<string>();
  const out: string[] = [];
  kept.forEach((line, i) => {
    if (line === '') {
      if (out.length > 0 && out[out.length - 1] !== '') out.push('');
      return;
    }
    const alone = (kept[i - 1] ?? '') === '' && (kept[i + 1] ?? '') === '';
    const heading = alone && line.split(' ').length <= HEADING_MAX_WORDS && !/[.,;:!?]/u.test(line);
    const repaired = repairLine(line, { finalPeriod: !heading });
    const key = repaired.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
    if (key !== '' && seen.has(key)) return;
    seen.add(key);
    out.push(repaired);
  });
  const result = out.join('\n').trim();
  return result === '' ? null : result;
}

/** The `rules` engine: {@link rewriteWithRules} over each text. */
export function rulesEngine(): RewriteEngine {
  return {
    name: 'rules',
    batchSize: 200,
    rewrite(texts) {
      return Promise.resolve(texts.map(rewriteWithRules));
    },
  };
}
