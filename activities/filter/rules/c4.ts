/**
 * C4's quality rules (Raffel et al. 2020), ported from datatrove 0.10's `C4QualityFilter.filter`. Unlike the
 * other rules this one edits the document: it drops the lines it dislikes and keeps the rest, and it rejects
 * the whole document for "lorem ipsum", a curly bracket, or too few sentences left.
 */
import type { C4QualityOptions } from '../../../recipe/stages/filter-rules.ts';
import { endsWithAny, pySplit, pySplitlines, pyLen, pyStrip } from './text/py-str.ts';
import { countSentences, splitIntoSentences } from './tokenizer/sentencizer.ts';
import type { Doc, FilterRule, RuleResult } from './types.ts';

// Python's `\d` is any decimal digit, hence `\p{Nd}`.
const CITATION = /\[\p{Nd}*\]|\[edit\]|\[citation needed\]/gu;
const END_PUNCTUATION = ['.', '?', '!', '"', "'"];
const POLICY_SUBSTRINGS = ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'];

/**
 * Per line (or per sentence with `splitParagraph: false`), in datatrove's order: drop it if a word is longer
 * than `maxWordLength`; remove citations; drop it without terminal punctuation or ending in `...`; drop it with
 * fewer than `minWordsPerLine` words; reject the document on "lorem ipsum"; drop it on "javascript"; reject the
 * document on `{`; drop it on policy phrases. Then reject with `too_few_sentences` when fewer than
 * `minNumSentences` sentences survive; otherwise keep the surviving lines, returned in `text` when it changed.
 */
export function c4Quality(o: C4QualityOptions): FilterRule {
  return {
    name: 'c4',
    check(doc: Doc): RuleResult {
      const lines = o.splitParagraph ? pySplitlines(doc.text) : splitIntoSentences(doc.text);
      let numSentences = 0;
      const kept: string[] = [];
      for (const raw of lines) {
        let line = pyStrip(raw);
        // datatrove counts words before removing citations, and uses that count for both word checks.
        const words = pySplit(line);
        if (o.maxWordLength !== -1 && words.some((w) => pyLen(w) > o.maxWordLength)) continue;
        if (o.removeCitations) line = line.replace(CITATION, '');
        if (o.filterNoTerminalPunct && (!endsWithAny(line, END_PUNCTUATION) || line.endsWith('...'))) continue;
        if (words.length < o.minWordsPerLine) continue;
        const lower = line.toLowerCase();
        if (o.filterLoremIpsum && lower.includes('lorem ipsum')) return { keep: false, reason: 'lorem_ipsum' };
        if (o.filterJavascript && lower.includes('javascript')) continue;
        if (o.filterCurlyBracket && line.includes('{')) return { keep: false, reason: 'curly_bracket' };
        if (o.filterPolicy && POLICY_SUBSTRINGS.some((p) => lower.includes(p))) continue;
        if (o.minNumSentences !== -1) numSentences += o.splitParagraph ? countSentences(line) : 1;
        kept.push(line);
      }
      if (numSentences < o.minNumSentences) return { keep: false, reason: 'too_few_sentences' };
      const text = pyStrip(kept.join(o.splitParagraph ? '\n' : ' '));
      return text === doc.text ? { keep: true } : { keep: true, text };
    },
  };
}
