/**
 * Small evaluation sets built offline from data Braise ships, for decontamination (the filter stage removes
 * training documents that overlap them) and for evaluation. Each item is a {@link Doc} whose `text` is what
 * decontamination compares (prompt and answer together) and whose `meta` holds the parts an evaluator needs.
 */
import { DatasetInputError } from '../errors.ts';
import type { Doc } from '../types.ts';
import { BROWN_LICENSE, loadBrown } from './brown.ts';

/** What an evaluation item carries in `meta`. */
export interface EvalItemMeta {
  /** The set's name, e.g. `brown-cloze`. */
  set: string;
  /** What the model is shown. */
  prompt: string;
  /** The expected continuation (exact match). */
  answer: string;
  /** The id of the document the item was drawn from. */
  source: string;
}

/** Candidate sentences: 13 to 40 words, ending in a plain word of 3+ letters and a period. */
const MIN_WORDS = 13;
const MAX_WORDS = 40;
const LAST_WORD = /^(.*\S)\s+([A-Za-z]{3,})\.$/s;
const STEP = 5;

let clozeCache: Doc[] | undefined;

function buildBrownCloze(): Doc[] {
  const brown = loadBrown();
  const items: Doc[] = [];
  for (let window = 0; window < brown.length; window += STEP) {
    // The first document of each window of STEP that has a candidate sentence.
    let pick: { prompt: string; answer: string; doc: Doc } | undefined;
    for (let i = window; i < Math.min(window + STEP, brown.length) && !pick; i++) {
      const doc = brown[i]!;
      const candidates: Array<{ prompt: string; answer: string; doc: Doc }> = [];
      // Brown's own sentence segmentation: the corpus has one sentence per block, and the builtin keeps blocks as lines.
      for (const line of doc.text.split(/\n+/)) {
        const sentence = line.trim();
        const words = sentence.split(/\s+/).length;
        const m = LAST_WORD.exec(sentence);
        if (!m || words < MIN_WORDS || words > MAX_WORDS || /[()]/.test(sentence)) continue;
        candidates.push({ prompt: m[1]!, answer: m[2]!, doc });
      }
      // The middle candidate: deterministic, and away from headlines and openings.
      pick = candidates[Math.floor(candidates.length / 2)];
    }
    if (!pick) continue;
    const doc = pick.doc;
    const meta: EvalItemMeta = { set: 'brown-cloze', prompt: pick.prompt, answer: pick.answer, source: doc.id };
    items.push({
      id: `brown-cloze/${String(items.length).padStart(3, '0')}`,
      text: `${pick.prompt} ${pick.answer}`,
      domain: 'brown-cloze',
      license: BROWN_LICENSE,
      meta: { ...meta },
    });
  }
  return items;
}

/**
 * `builtin:eval/brown-cloze`: about 100 cloze items, one per window of 5 Brown documents (so every genre is
 * represented), from the window's first document that has a candidate: the middle one of its sentences (Brown's
 * segmentation) that have 13–40 words, no parentheses, and end in a word of 3+ letters and a period. `meta.prompt` is the sentence without its last word and period, `meta.answer` that
 * word; `text` is `prompt + ' ' + answer`. Ids are `brown-cloze/000`, …; `limit` keeps the first N.
 */
export function loadBrownCloze(opts: { limit?: number } = {}): Doc[] {
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) {
    throw new DatasetInputError(`builtin:eval/brown-cloze: limit must be a positive integer, got ${opts.limit}`);
  }
  clozeCache ??= buildBrownCloze();
  return clozeCache.slice(0, opts.limit).map((d) => ({ ...d, meta: { ...d.meta } }));
}

/** The built-in evaluation sets by the name after `builtin:` (`eval/brown-cloze`). */
export const EVAL_SETS: ReadonlyMap<string, (opts: { limit?: number }) => Doc[]> = new Map([['eval/brown-cloze', loadBrownCloze]]);
