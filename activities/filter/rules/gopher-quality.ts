/**
 * Gopher quality heuristics (Rae et al. 2021, table A1), ported from datatrove 0.10's
 * `GopherQualityFilter.filter`. Checks run in datatrove's order; the first that fails names the reason.
 */
import type { GopherQualityOptions } from '../../../recipe/stages/filter-rules.ts';
import { endsWithAny, hasAlpha, pyCount, pyLen, pyLstrip, pyRstrip, pySplitlines } from './text/py-str.ts';
import { hasNonPunctuation } from './text/punctuation.ts';
import { wordTokenize } from './tokenizer/spacy-en.ts';
import type { Doc, FilterRule, RuleResult } from './types.ts';

const reject = (reason: string): RuleResult => ({ keep: false, reason });

/**
 * Rejects documents that are too short or long, have implausible word lengths, too many `#` or ellipses, are
 * mostly bullet or ellipsis lines, have too few words with letters, or too few distinct stop words.
 *
 * Words are datatrove's English words (spaCy tokens); "non-symbol" words have a character outside
 * datatrove's `PUNCTUATION_SET`. Where datatrove would divide by zero (a text with no words, possible only with
 * `minDocWords` off), the ratio follows IEEE arithmetic instead of raising.
 */
export function gopherQuality(o: GopherQualityOptions): FilterRule {
  const stopWords = new Set(o.stopWords);
  return {
    name: 'gopher-quality',
    check(doc: Doc): RuleResult {
      const text = doc.text;
      const words = wordTokenize(text);
      const nWords = words.length;
      const nonSymbolWords = words.filter(hasNonPunctuation);
      const nNonSymbol = nonSymbolWords.length;

      if (o.minDocWords && nNonSymbol < o.minDocWords) return reject('gopher_short_doc');
      if (o.maxDocWords && nNonSymbol > o.maxDocWords) return reject('gopher_long_doc');

      let chars = 0;
      for (const w of nonSymbolWords) chars += pyLen(w);
      const avgWordLength = chars / nNonSymbol;
      if (o.minAvgWordLength && avgWordLength < o.minAvgWordLength) return reject('gopher_below_avg_threshold');
      if (o.maxAvgWordLength && avgWordLength > o.maxAvgWordLength) return reject('gopher_above_avg_threshold');

      if (o.maxSymbolWordRatio && pyCount(text, '#') / nWords > o.maxSymbolWordRatio) return reject('gopher_too_many_hashes');
      if (o.maxSymbolWordRatio && (pyCount(text, '...') + pyCount(text, '…')) / nWords > o.maxSymbolWordRatio) {
        return reject('gopher_too_many_ellipsis');
      }

      const lines = pySplitlines(text);
      if (o.maxBulletLinesRatio) {
        const bullets = lines.filter((l) => {
          const s = pyLstrip(l);
          return s.startsWith('•') || s.startsWith('-');
        }).length;
        if (bullets / lines.length > o.maxBulletLinesRatio) return reject('gopher_too_many_bullets');
      }
      if (o.maxEllipsisLinesRatio) {
        const ellipsisLines = lines.filter((l) => endsWithAny(pyRstrip(l), ['...', '…'])).length;
        if (ellipsisLines / lines.length > o.maxEllipsisLinesRatio) return reject('gopher_too_many_end_ellipsis');
      }

      // datatrove calls it max_non_alpha_words_ratio, but it is the minimum share of words holding a letter.
      if (o.maxNonAlphaWordsRatio && words.filter(hasAlpha).length / nWords < o.maxNonAlphaWordsRatio) {
        return reject('gopher_below_alpha_threshold');
      }

      if (o.minStopWords) {
        let distinct = 0;
        for (const w of new Set(words)) if (stopWords.has(w)) distinct++;
        if (distinct < o.minStopWords) return reject('gopher_enough_stop_words');
      }
      return { keep: true };
    },
  };
}
