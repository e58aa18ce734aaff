/** Exact deduplication: the first document of each group with the same normalized text is kept. */
import { createHash } from 'node:crypto';
import type { Doc, RuleResult } from './types.ts';

/**
 * The text two documents must share to be duplicates: Unicode NFC, lowercased, every run of whitespace
 * (JavaScript `\s`: Unicode White_Space and U+FEFF) collapsed to one space, leading and trailing whitespace removed.
 * So `"Hello\n  World"` and `" hello world "` are the same document; punctuation and accents still count.
 */
export function normalizeForDedup(text: string): string {
  return text.normalize('NFC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/**
 * Streaming exact dedup. Remembers a digest (sha256 by default, or sha1) of every normalized text it has seen,
 * so memory grows with the number of distinct documents (about 100 bytes each), not with their size.
 */
export class ExactDedup {
  readonly #seen = new Set<string>();
  readonly #algorithm: 'sha1' | 'sha256';

  constructor(options: { algorithm?: 'sha1' | 'sha256' } = {}) {
    this.#algorithm = options.algorithm ?? 'sha256';
  }

  /** The hex digest of a document's normalized text. */
  key(doc: Doc): string {
    return createHash(this.#algorithm).update(normalizeForDedup(doc.text), 'utf8').digest('hex');
  }

  /** Keeps `doc` the first time its normalized text is seen; afterwards rejects with `exact_duplicate`. */
  seen(doc: Doc): RuleResult {
    const key = this.key(doc);
    if (this.#seen.has(key)) return { keep: false, reason: 'exact_duplicate' };
    this.#seen.add(key);
    return { keep: true };
  }

  /** How many distinct documents have been kept. */
  get size(): number {
    return this.#seen.size;
  }
}

/** A fresh {@link ExactDedup} with the default sha256 digest. */
export function exactDedup(): ExactDedup {
  return new ExactDedup();
}
