import { describe, expect, it } from 'vitest';
import { ExactDedup, exactDedup, normalizeForDedup } from '../../../activities/filter/rules/index.ts';

const doc = (id: string, text: string) => ({ id, text });

describe('exact dedup', () => {
  it('keeps the first of documents that differ only in case and whitespace', () => {
    const d = exactDedup();
    expect(d.seen(doc('a', 'Hello   World.\nThis is it.'))).toEqual({ keep: true });
    expect(d.seen(doc('b', '  hello world. this IS it.  '))).toEqual({ keep: false, reason: 'exact_duplicate' });
    expect(d.seen(doc('c', 'HELLO\tWORLD.\r\n\r\nTHIS IS IT.'))).toEqual({ keep: false, reason: 'exact_duplicate' });
    expect(d.size).toBe(1);
  });

  it('treats composed and decomposed accents as the same text (NFC)', () => {
    const d = new ExactDedup();
    expect(d.seen(doc('a', 'Caf\u00e9 au lait')).keep).toBe(true);
    expect(d.seen(doc('b', 'Cafe\u0301 au lait')).keep).toBe(false);
  });

  it('keeps distinct documents, including ones that differ only in punctuation', () => {
    const d = new ExactDedup({ algorithm: 'sha1' });
    for (const [id, text] of [['a', 'one two three'], ['b', 'one two three!'], ['c', 'one two'], ['d', '']]) {
      expect(d.seen(doc(id!, text!)).keep).toBe(true);
    }
    expect(d.size).toBe(4);
    expect(d.key(doc('x', 'one two'))).toMatch(/^[0-9a-f]{40}$/);
  });

  it('normalizes by NFC, lowercasing and collapsing whitespace', () => {
    expect(normalizeForDedup('  A\u00a0 B\n\nC  ')).toBe('a b c');
  });
});
