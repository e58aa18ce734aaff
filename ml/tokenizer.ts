/** The id that ends every document (and, in front of one, marks its start). */
export const EOS_ID = 256;

/** 256 byte values plus EOS. */
export const BYTE_VOCAB_SIZE = 257;

/** The serialised form written as `tokenizer.json` next to every model. */
export interface TokenizerJSON {
  type: 'byte';
  vocabSize: number;
  eosId: number;
}

/** Turns text into token ids and back. */
export interface Tokenizer {
  readonly type: 'byte';
  readonly vocabSize: number;
  readonly eosId: number;
  /** UTF-8 bytes of `text`, one id per byte; no EOS is appended. */
  encode(text: string): number[];
  /**
   * Text of the byte ids; EOS ids are dropped and invalid UTF-8 (e.g. a sampled sequence cut
   * mid-character) becomes U+FFFD rather than an error.
   */
  decode(ids: ArrayLike<number>): string;
  toJSON(): TokenizerJSON;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** The byte-level tokenizer: ids 0..255 are UTF-8 bytes, 256 is EOS. */
export function byteTokenizer(): Tokenizer {
  return {
    type: 'byte',
    vocabSize: BYTE_VOCAB_SIZE,
    eosId: EOS_ID,
    encode: (text) => Array.from(encoder.encode(text)),
    decode(ids) {
      const bytes: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (id >= 0 && id < 256) bytes.push(id);
      }
      return decoder.decode(Uint8Array.from(bytes));
    },
    toJSON: () => ({ type: 'byte', vocabSize: BYTE_VOCAB_SIZE, eosId: EOS_ID }),
  };
}

/**
 * Rebuilds a tokenizer from its `tokenizer.json` content (already parsed). Throws naming the field
 * when it is not a byte tokenizer this code can reproduce exactly.
 */
export function loadTokenizer(json: unknown, where = 'tokenizer.json'): Tokenizer {
  if (typeof json !== 'object' || json === null) throw new Error(`${where}: expected an object`);
  const j = json as Record<string, unknown>;
  if (j['type'] !== 'byte') throw new Error(`${where}: type: expected 'byte', got ${JSON.stringify(j['type'])}`);
  if (j['vocabSize'] !== BYTE_VOCAB_SIZE) {
    throw new Error(`${where}: vocabSize: expected ${BYTE_VOCAB_SIZE}, got ${JSON.stringify(j['vocabSize'])}`);
  }
  if (j['eosId'] !== EOS_ID) throw new Error(`${where}: eosId: expected ${EOS_ID}, got ${JSON.stringify(j['eosId'])}`);
  return byteTokenizer();
}
