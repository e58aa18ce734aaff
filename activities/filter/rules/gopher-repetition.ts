/**
 * Gopher repetition heuristics (Rae et al. 2021, table A1), ported from datatrove 0.10's
 * `GopherRepetitionFilter.filter`: duplicated paragraphs and lines, then the most frequent 2–4-grams, then
 * characters covered by repeated 5–10-grams. The first check that fails names the reason.
 */
import type { GopherRepetitionOptions } from '../../../recipe/stages/filter-rules.ts';
import { pyLen, pyStrip } from './text/py-str.ts';
import { SpanSet } from './text/span-set.ts';
import { wordTokenize } from './tokenizer/spacy-en.ts';
import type { Doc, FilterRule, RuleResult } from './types.ts';

/** datatrove `find_duplicates`: how many elements repeat an earlier one, and their total length. */
export function findDuplicates(items: readonly string[]): { elements: number; chars: number } {
  const unique = new Set<string>();
  let elements = 0;
  let chars = 0;
  for (const x of items) {
    if (unique.has(x)) {
      elements++;
      chars += pyLen(x);
    } else {
      unique.add(x);
    }
  }
  return { elements, chars };
}

/** Words joined by `sep`, with each word's start offset, so n-grams are spans of one string. */
function joined(words: readonly string[], sep: string): { set: SpanSet; starts: number[]; ends: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  let at = 0;
  for (const w of words) {
    starts.push(at);
    ends.push(at + w.length);
    at += w.length + sep.length;
  }
  return { set: new SpanSet(words.join(sep), words.length), starts, ends };
}

/**
 * datatrove `find_top_duplicate(get_n_grams(words, n))`: length × count of the most frequent n-gram (words
 * joined by spaces); `null` when there is no n-gram. Ties go to the n-gram seen first, as `Counter.most_common`.
 */
function topNGramChars(j: ReturnType<typeof joined>, n: number): number | null {
  const { set, starts, ends } = j;
  if (starts.length < n) return null;
  set.clear();
  const counts: number[] = [];
  for (let i = 0; i + n <= starts.length; i++) {
    const id = set.idOf(starts[i]!, ends[i + n - 1]!);
    counts[id] = (counts[id] ?? 0) + 1;
  }
  let best = 0;
  for (let id = 1; id < counts.length; id++) if (counts[id]! > counts[best]!) best = id;
  return set.codePoints(...set.span(best)) * counts[best]!;
}

/**
 * datatrove `find_all_duplicate(words, n)`: characters of n-grams (words joined with no separator, so different
 * word sequences can spell the same n-gram) that repeat an earlier one, skipping past each repeat so overlapping
 * repeats are not counted twice.
 */
function duplicatedNGramChars(j: ReturnType<typeof joined>, n: number): number {
  const { set, starts, ends } = j;
  set.clear();
  let repeated = 0;
  let i = 0;
  while (i < starts.length - n + 1) {
    const start = starts[i]!;
    const end = ends[i + n - 1]!;
    if (set.add(start, end)) {
      i += 1;
    } else {
      repeated += set.codePoints(start, end);
      i += n;
    }
  }
  return repeated;
}

/** Rejects documents whose paragraphs, lines or word n-grams repeat too much. Empty documents: `empty`. */
export function gopherRepetition(o: GopherRepetitionOptions): FilterRule {
  return {
    name: 'gopher-repetition',
    check(doc: Doc): RuleResult {
      const text = doc.text;
      if (!text) return { keep: false, reason: 'empty' };
      const textLen = pyLen(text);

      const paragraphs = pyStrip(text).split(/\n{2,}/);
      const para = findDuplicates(paragraphs);
      if (o.dupParaFrac && para.elements / paragraphs.length > o.dupParaFrac) return { keep: false, reason: 'dup_para_frac' };
      if (o.dupParaCharFrac && para.chars / textLen > o.dupParaCharFrac) return { keep: false, reason: 'dup_para_char_frac' };

      const lines = text.split(/\n+/);
      const line = findDuplicates(lines);
      if (o.dupLineFrac && line.elements / lines.length > o.dupLineFrac) return { keep: false, reason: 'dup_line_frac' };
      if (o.dupLineCharFrac && line.chars / textLen > o.dupLineCharFrac) return { keep: false, reason: 'dup_line_char_frac' };

      const words = wordTokenize(text);
      const spaced = joined(words, ' ');
      for (const [n, frac] of o.topNGrams) {
        const top = topNGramChars(spaced, n);
        if (top !== null && top / textLen > frac) return { keep: false, reason: `top_${n}_gram` };
      }
      const glued = joined(words, '');
      for (const [n, frac] of o.dupNGrams) {
        if (duplicatedNGramChars(glued, n) / textLen > frac) return { keep: false, reason: `duplicated_${n}_n_grams` };
      }
      return { keep: true };
    },
  };
}
