/**
 * spaCy's rule-based `sentencizer` over the English tokenizer, as datatrove 0.10 uses it for English
 * (`split_into_sentences`). A sentence ends after a run of sentence-final punctuation tokens, at the first token
 * that is neither one of them nor punctuation (so closing quotes and brackets stay with the sentence).
 */
import { spacyTokens, type Token } from './spacy-en.ts';

/** `Sentencizer.default_punct_chars` (spaCy 3.8): a token equal to one of these ends a sentence. */
const PUNCT_CHARS: ReadonlySet<string> = new Set(
  Array.from(
    '!.?\u0589\u061f\u06d4\u0700\u0701\u0702\u07f9\u0964\u0965\u104a\u104b\u1362\u1367\u1368\u166e\u1735\u1736\u1803' +
      '\u1809\u1944\u1945\u1aa8\u1aa9\u1aaa\u1aab\u1b5a\u1b5b\u1b5e\u1b5f\u1c3b\u1c3c\u1c7e\u1c7f\u203c\u203d\u2047\u2048' +
      '\u2049\u2e2e\u2e3c\ua4ff\ua60e\ua60f\ua6f3\ua6f7\ua876\ua877\ua8ce\ua8cf\ua92f\ua9c8\ua9c9\uaa5d\uaa5e\uaa5f\uaaf0' +
      '\uaaf1\uabeb\ufe52\ufe56\ufe57\uff01\uff0e\uff1f\u{10a56}\u{10a57}\u{11047}\u{11048}\u{110be}\u{110bf}\u{110c0}' +
      '\u{110c1}\u{11141}\u{11142}\u{11143}\u{111c5}\u{111c6}\u{111cd}\u{111de}\u{111df}\u{11238}\u{11239}\u{1123b}' +
      '\u{1123c}\u{112a9}\u{1144b}\u{1144c}\u{115c2}\u{115c3}\u{115c9}\u{115ca}\u{115cb}\u{115cc}\u{115cd}\u{115ce}' +
      '\u{115cf}\u{115d0}\u{115d1}\u{115d2}\u{115d3}\u{115d4}\u{115d5}\u{115d6}\u{115d7}\u{11641}\u{11642}\u{1173c}' +
      '\u{1173d}\u{1173e}\u{11a42}\u{11a43}\u{11a9b}\u{11a9c}\u{11c41}\u{11c42}\u{16a6e}\u{16a6f}\u{16af5}\u{16b37}' +
      '\u{16b38}\u{16b44}\u{1bc9f}\u{1da88}\uff61\u3002',
  ),
);

/** spaCy `Lexeme.is_punct`: every character's Unicode category is P*. */
const IS_PUNCT = /^\p{P}*$/u;

/** Indices of the tokens that start a sentence (`Token.is_sent_start`), as the sentencizer sets them. */
function sentenceStarts(tokens: readonly Token[]): number[] {
  if (tokens.length === 0) return [];
  const starts = [0];
  let seenPeriod = false;
  for (let i = 0; i < tokens.length; i++) {
    const text = tokens[i]!.text;
    const inPunctChars = PUNCT_CHARS.has(text);
    if (seenPeriod && !inPunctChars && !IS_PUNCT.test(text)) {
      if (i !== starts[starts.length - 1]) starts.push(i);
      seenPeriod = false;
    } else if (inPunctChars) {
      seenPeriod = true;
    }
  }
  return starts;
}

/**
 * datatrove `split_into_sentences(text, "eng")`: the text cut at the end of each sentence, so the pieces
 * concatenate back to `text` (whitespace between sentences starts the next piece). Always at least one piece.
 */
export function splitIntoSentences(text: string): string[] {
  const tokens = spacyTokens(text);
  const starts = sentenceStarts(tokens);
  // `span_tokenize` gives each sentence's end offset; the last sentence is extended to the end of the text.
  const ends = starts.slice(1).map((s) => {
    const last = tokens[s - 1]!;
    return last.start + last.text.length;
  });
  const cuts = [0, ...ends, text.length];
  const pieces: string[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) pieces.push(text.slice(cuts[i], cuts[i + 1]));
  return pieces;
}

/** `len(split_into_sentences(text))` without building the pieces. */
export function countSentences(text: string): number {
  return Math.max(1, sentenceStarts(spacyTokens(text)).length);
}
