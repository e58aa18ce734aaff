/**
 * Options of the filter stage's quality rules, with datatrove's defaults. Part of the recipe language (the
 * filter's `with.rules` entries), so it lives in recipe/ next to the filter's spec and the filter activity
 * imports it from here (recipe/ never imports activities/). PURE: imports only zod. Field names are camelCase
 * versions of datatrove's constructor arguments (the FineWeb ones follow the FineWeb paper's names; each field
 * says which argument it is). Where datatrove accepts `None` to turn
 * a check off, `null` (or 0, which Python also treats as false) does the same here.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
const ratio = z.number().nonnegative();
/** An integer where datatrove uses -1 for "disabled". */
const countOrOff = z.number().int().min(-1);
const nGramRules = z.array(z.tuple([z.number().int().positive(), ratio]));

/** datatrove `GopherQualityFilter` default stop words. */
export const GOPHER_STOP_WORDS: readonly string[] = ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'];

/** `GopherQualityFilter(...)` (datatrove 0.10). */
export const gopherQualityOptions = z
  .object({
    /** `min_doc_words`: fewer non-symbol words than this rejects with `gopher_short_doc`. */
    minDocWords: count.nullable().default(50),
    /** `max_doc_words`: more non-symbol words than this rejects with `gopher_long_doc`. */
    maxDocWords: count.nullable().default(100_000),
    /** `min_avg_word_length` (characters, over non-symbol words): `gopher_below_avg_threshold`. */
    minAvgWordLength: ratio.nullable().default(3),
    /** `max_avg_word_length`: `gopher_above_avg_threshold`. */
    maxAvgWordLength: ratio.nullable().default(10),
    /** `max_symbol_word_ratio`: `#` per word (`gopher_too_many_hashes`) and `...`/`…` per word (`gopher_too_many_ellipsis`). */
    maxSymbolWordRatio: ratio.nullable().default(0.1),
    /** `max_bullet_lines_ratio`: share of lines starting with `•` or `-` (`gopher_too_many_bullets`). */
    maxBulletLinesRatio: ratio.nullable().default(0.9),
    /** `max_ellipsis_lines_ratio`: share of lines ending with `...` or `…` (`gopher_too_many_end_ellipsis`). */
    maxEllipsisLinesRatio: ratio.nullable().default(0.3),
    /** `max_non_alpha_words_ratio`: despite the name, the *minimum* share of words with a letter (`gopher_below_alpha_threshold`). */
    maxNonAlphaWordsRatio: ratio.nullable().default(0.8),
    /** `min_stop_words`: fewer *distinct* stop words than this rejects with `gopher_enough_stop_words`. */
    minStopWords: count.nullable().default(2),
    /** `stop_words`. */
    stopWords: z.array(z.string().min(1)).default([...GOPHER_STOP_WORDS]),
  })
  .strict();

/** `GopherRepetitionFilter(...)` (datatrove 0.10). */
export const gopherRepetitionOptions = z
  .object({
    /** `dup_line_frac`: share of duplicated lines (`dup_line_frac`). */
    dupLineFrac: ratio.nullable().default(0.3),
    /** `dup_para_frac`: share of duplicated paragraphs (`dup_para_frac`). */
    dupParaFrac: ratio.nullable().default(0.3),
    /** `dup_line_char_frac`: characters in duplicated lines over all characters (`dup_line_char_frac`). */
    dupLineCharFrac: ratio.nullable().default(0.2),
    /** `dup_para_char_frac`: characters in duplicated paragraphs over all characters (`dup_para_char_frac`). */
    dupParaCharFrac: ratio.nullable().default(0.2),
    /** `top_n_grams`: `[n, frac]` — characters covered by the most frequent n-gram (`top_{n}_gram`). */
    topNGrams: nGramRules.default([
      [2, 0.2],
      [3, 0.18],
      [4, 0.16],
    ]),
    /** `dup_n_grams`: `[n, frac]` — characters in repeated n-grams (`duplicated_{n}_n_grams`). */
    dupNGrams: nGramRules.default([
      [5, 0.15],
      [6, 0.14],
      [7, 0.13],
      [8, 0.12],
      [9, 0.11],
      [10, 0.1],
    ]),
  })
  .strict();

/** `C4QualityFilter(...)` (datatrove 0.10). Drops lines, and rejects documents. */
export const c4QualityOptions = z
  .object({
    /** `split_paragraph`: work on lines (true, as C4) or on sentences (false). */
    splitParagraph: z.boolean().default(true),
    /** `remove_citations`: delete `[1]`, `[edit]`, `[citation needed]`. */
    removeCitations: z.boolean().default(true),
    /** `filter_no_terminal_punct`: drop lines not ending in `. ? ! " '` (or ending in `...`). */
    filterNoTerminalPunct: z.boolean().default(true),
    /** `min_num_sentences`: fewer kept sentences rejects with `too_few_sentences`; -1 disables. */
    minNumSentences: countOrOff.default(5),
    /** `min_words_per_line`: drop shorter lines; -1 disables. */
    minWordsPerLine: countOrOff.default(3),
    /** `max_word_length`: drop lines with a longer word; -1 disables. */
    maxWordLength: countOrOff.default(1000),
    /** `filter_lorem_ipsum`: reject documents containing "lorem ipsum" (`lorem_ipsum`). */
    filterLoremIpsum: z.boolean().default(true),
    /** `filter_javascript`: drop lines mentioning "javascript". */
    filterJavascript: z.boolean().default(true),
    /** `filter_curly_bracket`: reject documents containing `{` (`curly_bracket`). */
    filterCurlyBracket: z.boolean().default(true),
    /** `filter_policy`: drop lines about terms of use, privacy or cookie policies. */
    filterPolicy: z.boolean().default(true),
  })
  .strict();

/** `FineWebQualityFilter(...)` (datatrove 0.10). */
export const finewebQualityOptions = z
  .object({
    /** `line_punct_thr`: share of lines ending in terminal punctuation below this rejects (`line_punct_ratio`). */
    lineEndPunctThr: ratio.default(0.12),
    /** `line_punct_exclude_zero`: do not reject documents where no line ends in terminal punctuation. */
    lineEndPunctExclZero: z.boolean().default(false),
    /** `stop_chars`: what counts as terminal punctuation; `null` means datatrove's `TERMINAL_PUNCTUATION`. */
    stopChars: z.array(z.string().min(1)).nullable().default(null),
    /** `short_line_thr`: share of short lines above this rejects (`short_line_ratio`). */
    shortLineThr: ratio.default(0.67),
    /** `short_line_length`: a line of at most this many characters is short. */
    shortLineLength: count.default(30),
    /** `char_duplicates_ratio`: characters in duplicated lines over all characters (`char_dup_ratio`). */
    charDuplicatesRatio: ratio.default(0.01),
    /** `new_line_ratio`: newlines per word above this rejects (`list_ratio`). */
    newLineRatio: ratio.default(0.3),
  })
  .strict();

/** The option schema of each rule, by the name recipes use. */
export const ruleOptionSchemas = {
  'gopher-quality': gopherQualityOptions,
  'gopher-repetition': gopherRepetitionOptions,
  c4: c4QualityOptions,
  fineweb: finewebQualityOptions,
} as const;

export type RuleName = keyof typeof ruleOptionSchemas;
export type GopherQualityOptions = z.output<typeof gopherQualityOptions>;
export type GopherRepetitionOptions = z.output<typeof gopherRepetitionOptions>;
export type C4QualityOptions = z.output<typeof c4QualityOptions>;
export type FinewebQualityOptions = z.output<typeof finewebQualityOptions>;
