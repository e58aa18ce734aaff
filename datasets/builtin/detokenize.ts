/** Tokens written against the previous token: punctuation that closes, and clitics. */
const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '!', '?', ')', ']', '}', '%', '...', "'s", "n't", "'ll", "'re", "'ve", "'d", "'m", '/']);
/** Tokens the next token is written against. */
const NO_SPACE_AFTER = new Set(['(', '[', '{', '$', '/']);
/** Marks the corpus often doubles (`; ;`, `? ?`) where the printed text had one. */
const UNDOUBLE = new Set([',', ';', ':', '?', '!']);

/**
 * Joins Penn/Brown-style tokens into ordinary English: no space before closing punctuation and clitics,
 * none after opening brackets and quotes; `` `` `` and `''` become `"`; a lone `'` alternates between
 * opening and closing within the token run (the corpus does not tell them apart); doubled `; ? ! , :`
 * and a sentence period after an abbreviation's period are written once.
 */
export function detokenize(tokens: readonly string[]): string {
  let out = '';
  let glueNext = true; // nothing before the first token
  let singleOpen = false;
  let previous: string | undefined;
  for (const token of tokens) {
    if (UNDOUBLE.has(token) && token === previous) continue;
    previous = token;
    let text = token;
    let spaceBefore: boolean;
    let spaceAfter = true;
    if (token === '``') {
      text = '"';
      spaceBefore = true;
      spaceAfter = false;
    } else if (token === "''") {
      text = '"';
      spaceBefore = false;
    } else if (token === "'") {
      singleOpen = !singleOpen;
      spaceBefore = singleOpen;
      spaceAfter = !singleOpen;
    } else {
      spaceBefore = !NO_SPACE_BEFORE.has(token);
      spaceAfter = !NO_SPACE_AFTER.has(token);
    }
    // "Jr." ending a sentence is tokenized `Jr.` `.`; written English has one period.
    if (token === '.' && out.endsWith('.')) continue;
    if (out !== '' && spaceBefore && !glueNext) out += ' ';
    out += text;
    glueNext = !spaceAfter;
  }
  return out;
}
