/**
 * FineWeb's extra quality rules (Penedo et al. 2024), ported from datatrove 0.10's `FineWebQualityFilter.filter`:
 * share of lines ending in terminal punctuation, share of short lines, characters in duplicated lines, and
 * newlines per word (a list rather than prose). The first check that fails names the reason.
 */
import { findDuplicates } from './gopher-repetition.ts';
import type { FinewebQualityOptions } from '../../../recipe/stages/filter-rules.ts';
import { endsWithAny, pyCount, pyLen, pyStrip } from './text/py-str.ts';
import { TERMINAL_PUNCTUATION } from './text/punctuation.ts';
import { wordTokenize } from './tokenizer/spacy-en.ts';
import type { Doc, FilterRule, RuleResult } from './types.ts';

/** Rejects with `empty`, `line_punct_ratio`, `short_line_ratio`, `char_dup_ratio` or `list_ratio`. */
export function finewebQuality(o: FinewebQualityOptions): FilterRule {
  const stopChars = o.stopChars ?? TERMINAL_PUNCTUATION;
  return {
    name: 'fineweb',
    check(doc: Doc): RuleResult {
      const text = doc.text;
      const lines = text.split('\n').filter((l) => pyStrip(l) !== '');
      if (lines.length === 0) return { keep: false, reason: 'empty' };

      const punctuated = lines.filter((l) => endsWithAny(l, stopChars)).length / lines.length;
      if (punctuated < o.lineEndPunctThr && !(punctuated === 0 && o.lineEndPunctExclZero)) {
        return { keep: false, reason: 'line_punct_ratio' };
      }

      const short = lines.filter((l) => pyLen(l) <= o.shortLineLength).length / lines.length;
      if (short > o.shortLineThr) return { keep: false, reason: 'short_line_ratio' };

      const duplicated = findDuplicates(lines).chars / pyLen(text.replaceAll('\n', ''));
      if (duplicated > o.charDuplicatesRatio) return { keep: false, reason: 'char_dup_ratio' };

      if (pyCount(text, '\n') / wordTokenize(text).length > o.newLineRatio) return { keep: false, reason: 'list_ratio' };
      return { keep: true };
    },
  };
}
