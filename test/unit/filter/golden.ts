/**
 * Golden documents for the quality rules: one per rejection reason (each fails that check first), plus a clean
 * English text that every rule keeps. Every expectation here was confirmed against datatrove 0.10.1 itself.
 */
import type { RuleName } from '../../../activities/filter/rules/index.ts';

export interface GoldenCase {
  rule: RuleName;
  options?: Record<string, unknown>;
  text: string;
  /** datatrove's rejection reason, or `null` when the document is kept. */
  reason: string | null;
}

/** Clean edited English in two paragraphs: kept by all four rules. */
export const GOOD = [
  'The old lighthouse stood at the edge of the harbor for more than a century. Fishermen relied on its beam to find ' +
    'their way home through fog and storm. When the keeper retired, the town voted to restore the building instead ' +
    'of tearing it down. Volunteers scraped the peeling paint, repaired the iron railings and replaced the cracked ' +
    'windows with new glass.',
  'Today the lighthouse is a small museum that welcomes visitors from around the world. Children climb the narrow ' +
    'spiral stairs to look out over the water, and their parents read about the ships that were saved by its light. ' +
    'The restoration has become a source of pride for everyone who lives in the town.',
].join('\n\n');

/** A six-letter lowercase word per index, all distinct: spaCy keeps each as one token. */
export function word(i: number): string {
  let s = '';
  let x = i + 1000;
  for (let k = 0; k < 6; k++) {
    s = String.fromCharCode(97 + (x % 26)) + s;
    x = Math.floor(x / 26);
  }
  return s;
}

const words = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => word(from + i));

/** `region filler region.`: one run of `m` distinct words repeated once, `filler` other words in between. */
export function repeatedRegion(m: number, filler: number): string {
  const region = words(0, m);
  return [...region, ...words(500, filler), ...region].join(' ') + '.';
}

/** `phrase` four times, each followed by `gap` distinct words. */
export function repeatedPhrase(phrase: string[], gap: number): string {
  const out: string[] = [];
  for (let r = 0; r < 4; r++) out.push(...phrase, ...words(700 + r * gap, gap));
  return out.join(' ') + '.';
}

const times = (s: string, n: number, sep = ' '): string => Array(n).fill(s).join(sep);
/** `n` lines `prefix + a distinct word + end`. */
const distinctLines = (prefix: string, n: number, end = ''): string => words(900, n).map((w) => `${prefix}${w}${end}`).join('\n');
const MENU = distinctLines('A menu entry that goes on and on without an ending ', 9);
const LONG_LINE = 'This line is long enough that it is not counted as a short line by the filter.';

export const GOLDEN: GoldenCase[] = [
  // Gopher quality, in datatrove's order of checks.
  { rule: 'gopher-quality', text: GOOD, reason: null },
  { rule: 'gopher-quality', text: 'This is far too short to be a useful training document.', reason: 'gopher_short_doc' },
  { rule: 'gopher-quality', text: times('I am so in it. He is up to it. We go on as we do.', 4), reason: 'gopher_below_avg_threshold' },
  {
    rule: 'gopher-quality',
    text: times('Internationalization characteristically overcomplicates telecommunications infrastructure modernization.', 9),
    reason: 'gopher_above_avg_threshold',
  },
  { rule: 'gopher-quality', text: times('Readers find our posts with #news #sports and #weather tags on the main page.', 6), reason: 'gopher_too_many_hashes' },
  { rule: 'gopher-quality', text: times('Well... I thought... maybe we could... go back home now.', 8), reason: 'gopher_too_many_ellipsis' },
  { rule: 'gopher-quality', text: times('- Buy fresh apples and pears at the market', 10, '\n'), reason: 'gopher_too_many_bullets' },
  {
    rule: 'gopher-quality',
    text: [...Array(6).fill('The committee met again to discuss the budget for next year.'), ...Array(4).fill('And then the lights went out...')].join('\n'),
    reason: 'gopher_too_many_end_ellipsis',
  },
  { rule: 'gopher-quality', text: times('Scores 1024 2048 4096 8192 were recorded.', 8), reason: 'gopher_below_alpha_threshold' },
  { rule: 'gopher-quality', text: times('Red apples and green pears and ripe plums and sweet cherries.', 8), reason: 'gopher_enough_stop_words' },
  { rule: 'gopher-quality', options: { minDocWords: 5 }, text: 'This is far too short to be a useful training document.', reason: null },
  { rule: 'gopher-quality', options: { stopWords: ['apples', 'pears'] }, text: times('Red apples and green pears and ripe plums and sweet cherries.', 8), reason: null },

  // Gopher repetition.
  { rule: 'gopher-repetition', text: GOOD, reason: null },
  { rule: 'gopher-repetition', text: '', reason: 'empty' },
  { rule: 'gopher-repetition', text: 'Same paragraph.\n\nSame paragraph.\n\nAnother one.', reason: 'dup_para_frac' },
  { rule: 'gopher-repetition', text: [GOOD.split('\n\n')[0], 'Short.', GOOD.split('\n\n')[0], 'Tiny.'].join('\n\n'), reason: 'dup_para_char_frac' },
  { rule: 'gopher-repetition', text: 'alpha line\nbeta line\nalpha line\nbeta line\ngamma line', reason: 'dup_line_frac' },
  { rule: 'gopher-repetition', text: [LONG_LINE, 'One.', LONG_LINE, 'Two.'].join('\n'), reason: 'dup_line_char_frac' },
  { rule: 'gopher-repetition', text: repeatedPhrase(['yellow', 'submarine'], 4), reason: 'top_2_gram' },
  { rule: 'gopher-repetition', text: repeatedPhrase(['yellow', 'a', 'submarine'], 7), reason: 'top_3_gram' },
  { rule: 'gopher-repetition', text: repeatedPhrase(['yellow', 'a', 'b', 'submarine'], 9), reason: 'top_4_gram' },
  { rule: 'gopher-repetition', text: repeatedRegion(10, 33), reason: 'duplicated_5_n_grams' },
  { rule: 'gopher-repetition', text: repeatedRegion(12, 41), reason: 'duplicated_6_n_grams' },
  { rule: 'gopher-repetition', text: repeatedRegion(14, 55), reason: 'duplicated_7_n_grams' },
  { rule: 'gopher-repetition', text: repeatedRegion(16, 71), reason: 'duplicated_8_n_grams' },
  { rule: 'gopher-repetition', text: repeatedRegion(18, 91), reason: 'duplicated_9_n_grams' },
  { rule: 'gopher-repetition', text: repeatedRegion(20, 116), reason: 'duplicated_10_n_grams' },
  { rule: 'gopher-repetition', options: { dupNGrams: [] }, text: repeatedRegion(10, 33), reason: null },

  // C4 (documents it keeps may come back with lines dropped).
  { rule: 'c4', text: GOOD, reason: null },
  { rule: 'c4', text: `${GOOD}\nLorem ipsum dolor sit amet, consectetur adipiscing elit.`, reason: 'lorem_ipsum' },
  { rule: 'c4', text: `${GOOD}\nThe config file holds { "debug": true } for now.`, reason: 'curly_bracket' },
  { rule: 'c4', text: 'One sentence here. Two sentences here. Three sentences here. Four sentences here.', reason: 'too_few_sentences' },
  { rule: 'c4', options: { minNumSentences: -1 }, text: 'One sentence here. Two sentences here.', reason: null },

  // FineWeb.
  { rule: 'fineweb', text: GOOD, reason: null },
  { rule: 'fineweb', text: ' \n\n\t\n', reason: 'empty' },
  { rule: 'fineweb', text: MENU, reason: 'line_punct_ratio' },
  { rule: 'fineweb', text: ['Home.', 'About us.', 'Contact.', LONG_LINE].join('\n'), reason: 'short_line_ratio' },
  { rule: 'fineweb', text: [LONG_LINE, 'Another sentence that is long enough to not be short.', LONG_LINE].join('\n'), reason: 'char_dup_ratio' },
  { rule: 'fineweb', text: distinctLines('Antidisestablishmentarianism', 10, '.'), reason: 'list_ratio' },
  { rule: 'fineweb', options: { lineEndPunctExclZero: true }, text: MENU, reason: null },
];
