import { describe, expect, it } from 'vitest';
import { BYTE_VOCAB_SIZE, EOS_ID, byteTokenizer, loadTokenizer } from '../../../ml/tokenizer.ts';
import { mulberry32 } from '../../../ml/random.ts';

/** A random string of valid Unicode scalar values from every plane range (no lone surrogates). */
function randomUnicode(seed: number, length: number): string {
  const rng = mulberry32(seed);
  let s = '';
  for (let i = 0; i < length; i++) {
    const range = Math.floor(rng() * 4);
    let cp =
      range === 0 ? Math.floor(rng() * 0x80)
      : range === 1 ? 0x80 + Math.floor(rng() * (0x800 - 0x80))
      : range === 2 ? 0x800 + Math.floor(rng() * (0x10000 - 0x800))
      : 0x10000 + Math.floor(rng() * (0x110000 - 0x10000));
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x20ac;
    s += String.fromCodePoint(cp);
  }
  return s;
}

describe('byte tokenizer', () => {
  const tok = byteTokenizer();

  it('round-trips arbitrary Unicode text', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const text = randomUnicode(seed, 200);
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
    const mixed = 'naïve café — 日本語 👩‍👩‍👧 e\u0301 \u0000 tab\there';
    expect(tok.decode(tok.encode(mixed))).toBe(mixed);
  });

  it('encodes one id per UTF-8 byte', () => {
    expect(tok.encode('a€😀')).toEqual([0x61, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
    expect(tok.encode('')).toEqual([]);
  });

  it('has EOS = 256 in a vocabulary of 257, dropped when decoding', () => {
    expect(tok.eosId).toBe(256);
    expect(EOS_ID).toBe(256);
    expect(tok.vocabSize).toBe(257);
    expect(BYTE_VOCAB_SIZE).toBe(257);
    expect(tok.decode([...tok.encode('hi'), EOS_ID, ...tok.encode('yo')])).toBe('hiyo');
  });

  it('decodes a sequence cut mid-character without throwing', () => {
    const bytes = tok.encode('€').slice(0, 2);
    expect(tok.decode(bytes)).toBe('\ufffd');
  });

  it('serialises and reloads; rejects other tokenizers naming the field', () => {
    const json = JSON.parse(JSON.stringify(tok.toJSON())) as unknown;
    expect(loadTokenizer(json).encode('x')).toEqual([0x78]);
    expect(() => loadTokenizer({ type: 'bpe', vocabSize: 257, eosId: 256 }, 'm/tokenizer.json')).toThrow(
      /m\/tokenizer\.json: type/,
    );
    expect(() => loadTokenizer({ type: 'byte', vocabSize: 300, eosId: 256 })).toThrow(/vocabSize/);
  });
});
