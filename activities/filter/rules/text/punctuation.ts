/**
 * datatrove's punctuation tables (`datatrove.utils.text`, datatrove 0.10): `PUNCTUATION`,
 * `TERMINAL_PUNCTUATION` and their union `PUNCTUATION_SET`, character for character.
 */

const PUNCTUATION_CHARS =
  '!/\u2014\u201d:\uff05\uff11\u3008&(\u3001\u2501\\\u3010#%\u300c\u300d\uff0c\u3011\uff1b+^]~\u201c\u300a\u201e\';\u2019{|\u2236\u00b4[=-`*\uff0e\uff08\u2013\uff1f\uff01\uff1a$\uff5e\u00ab\u3009,><\u300b)?\uff09\u3002\u2026@_."}\u25ba\u00bb';

/** C0 controls except `\t` and `\n`, DEL and the C1 controls: datatrove appends these to `PUNCTUATION`. */
function controlChars(): string[] {
  const out: string[] = [];
  for (const [a, b] of [[0, 9], [11, 13], [13, 32], [127, 160]] as const) for (let x = a; x < b; x++) out.push(String.fromCharCode(x));
  return out;
}

/** datatrove `TERMINAL_PUNCTUATION`: sentence-final marks of many scripts (every entry is one code point). */
export const TERMINAL_PUNCTUATION: readonly string[] = Array.from(
  '!.?\u0589\u061d\u061e\u061f\u06d4\u0700\u0701\u0702\u07f9\u0837\u0839\u083d\u083e\u0964\u0965\u104a\u104b\u1362\u1367\u1368' +
    '\u166e\u1735\u1736\u17d4\u17d5\u17d6\u17d9\u17da\u1803\u1809\u1944\u1945\u1aa8\u1aa9\u1aaa\u1aab\u1b5a\u1b5b\u1b5e\u1b5f' +
    '\u1b7d\u1b7e\u1c3b\u1c3c\u1c7e\u1c7f\u203c\u203d\u2047\u2048\u2049\u2e2e\u2e3c\u2e53\u2e54\u3002\ua4ff\ua60e\ua60f\ua6f3' +
    '\ua6f7\ua876\ua877\ua8ce\ua8cf\ua92f\ua9c8\ua9c9\uaa5d\uaa5e\uaa5f\uaaf0\uaaf1\uabeb\ufe52\ufe56\ufe57\uff01\uff0e\uff1f' +
    '\uff61\u{10a56}\u{10a57}\u{10f55}\u{10f56}\u{10f57}\u{10f58}\u{10f59}\u{10f86}\u{10f87}\u{10f88}\u{10f89}\u{11047}' +
    '\u{11048}\u{110be}\u{110bf}\u{110c0}\u{110c1}\u{11141}\u{11142}\u{11143}\u{111c5}\u{111c6}\u{111cd}\u{111de}\u{111df}' +
    '\u{11238}\u{11239}\u{1123b}\u{1123c}\u{112a9}\u{1144b}\u{1144c}\u{115c2}\u{115c3}\u{115c9}\u{115ca}\u{115cb}\u{115cc}' +
    '\u{115cd}\u{115ce}\u{115cf}\u{115d0}\u{115d1}\u{115d2}\u{115d3}\u{115d4}\u{115d5}\u{115d6}\u{115d7}\u{11641}\u{11642}' +
    '\u{1173c}\u{1173d}\u{1173e}\u{11944}\u{11946}\u{11a42}\u{11a43}\u{11a9b}\u{11a9c}\u{11c41}\u{11c42}\u{11ef7}\u{11ef8}' +
    '\u{11f43}\u{11f44}\u{16a6e}\u{16a6f}\u{16af5}\u{16b37}\u{16b38}\u{16b44}\u{16e98}\u{1bc9f}\u{1da88}',
);

/** datatrove `PUNCTUATION_SET`: a "word" made only of these characters is a symbol, not a word. */
export const PUNCTUATION_SET: ReadonlySet<string> = new Set([...Array.from(PUNCTUATION_CHARS), ...controlChars(), ...TERMINAL_PUNCTUATION]);

/** Python `any(ch not in PUNCTUATION_SET for ch in w)`: true when `w` has a non-punctuation code point. */
export function hasNonPunctuation(w: string): boolean {
  for (const ch of w) if (!PUNCTUATION_SET.has(ch)) return true;
  return false;
}
