/**
 * N-gram decontamination: a training document is contaminated when it shares a word n-gram (13 words by default,
 * as in GPT-3 and Llama) with an evaluation item. Both sides go through {@link decontaminationWords} first, so
 * case, punctuation and spacing differences do not hide an overlap.
 */

/** An evaluation item to protect: its set (`brown-cloze`, …), its id within the set, and its text. */
export interface EvalItem {
  id: string;
  set: string;
  text: string;
}

/** One eval item a document overlaps, with the first shared n-gram found (normalized words joined by spaces). */
export interface ContaminationMatch {
  set: string;
  id: string;
  ngram: string;
}

export type ContaminationResult = { contaminated: false } | { contaminated: true; matches: ContaminationMatch[] };

const NON_WORD = /[^\p{L}\p{N}\p{M}]+/gu;

/**
 * The words n-grams are made of: the text NFKC-normalized (so full-width and ligature forms fold to plain ones),
 * lowercased, every run of characters that are not letters, digits or combining marks (punctuation, symbols,
 * whitespace) turned into one separator, and split there. `"Don't STOP—now!"` gives `["don", "t", "stop", "now"]`.
 */
export function decontaminationWords(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(NON_WORD, ' ')
    .split(' ')
    .filter((w) => w !== '');
}

/**
 * Builds the eval-item list for a {@link Decontaminator} from evaluation documents (`builtin:eval/...`): `set` is
 * `meta.set` when it is a string, else the document's `domain`, else `eval`.
 */
export function evalItemsFromDocs(docs: ReadonlyArray<{ id: string; text: string; domain?: string; meta?: Record<string, unknown> }>): EvalItem[] {
  return docs.map((d) => ({ id: d.id, text: d.text, set: typeof d.meta?.set === 'string' ? d.meta.set : (d.domain ?? 'eval') }));
}

/**
 * Indexes the n-grams of a fixed list of evaluation items; {@link Decontaminator.check} then tells whether a
 * document overlaps any of them.
 *
 * An eval item shorter than `ngram` words counts as one gram of its whole text: a document is contaminated by it
 * when the document contains all of its words consecutively (so a 5-word answer is still protected; short items
 * are where false positives come from, so keep them meaningful). An item with no word at all is an error.
 */
export class Decontaminator {
  readonly ngram: number;
  /** n-gram → the items containing it. */
  readonly #grams = new Map<string, Array<{ set: string; id: string }>>();
  /** Word counts below `ngram` that some short item has: documents are also scanned with those window sizes. */
  readonly #shortLengths = new Set<number>();

  constructor(evalItems: readonly EvalItem[], opts: { ngram?: number } = {}) {
    this.ngram = opts.ngram ?? 13;
    if (!Number.isInteger(this.ngram) || this.ngram < 1) throw new RangeError(`Decontaminator: ngram must be a positive integer, got ${String(opts.ngram)}`);
    evalItems.forEach((item, i) => {
      const words = decontaminationWords(item.text);
      if (words.length === 0) throw new Error(`Decontaminator: evalItems[${i}] (set "${item.set}", id "${item.id}") has no words to match`);
      const n = Math.min(this.ngram, words.length);
      if (n < this.ngram) this.#shortLengths.add(n);
      const seen = new Set<string>();
      for (let k = 0; k + n <= words.length; k++) {
        const gram = words.slice(k, k + n).join(' ');
        if (seen.has(gram)) continue;
        seen.add(gram);
        const owners = this.#grams.get(gram);
        if (owners) owners.push({ set: item.set, id: item.id });
        else this.#grams.set(gram, [{ set: item.set, id: item.id }]);
      }
    });
  }

  /** How many distinct n-grams the index holds. */
  get size(): number {
    return this.#grams.size;
  }

  /**
   * Whether `doc` shares an n-gram with any eval item. When it does, `matches` lists every item it overlaps once,
   * in the order their first shared n-gram occurs in the document, each with that n-gram.
   */
  check(doc: { id: string; text: string }): ContaminationResult {
    const words = decontaminationWords(doc.text);
    const matches: Array<ContaminationMatch & { at: number }> = [];
    const found = new Set<string>();
    for (const n of [this.ngram, ...this.#shortLengths]) {
      for (let k = 0; k + n <= words.length; k++) {
        const gram = words.slice(k, k + n).join(' ');
        const owners = this.#grams.get(gram);
        if (!owners) continue;
        for (const o of owners) {
          const key = `${o.set}\u0000${o.id}`;
          if (found.has(key)) continue;
          found.add(key);
          matches.push({ set: o.set, id: o.id, ngram: gram, at: k });
        }
      }
    }
    if (matches.length === 0) return { contaminated: false };
    // Window sizes were scanned one after another; report in document order (stable, so ties keep scan order).
    matches.sort((a, b) => a.at - b.at);
    return { contaminated: true, matches: matches.map(({ set, id, ngram }) => ({ set, id, ngram })) };
  }
}
