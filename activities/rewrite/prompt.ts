/**
 * The guided-rewrite prompt shared by the `model` and `openai` engines, after REWIRE (Nguyen et al.
 * 2025, "Recycling the Web"): rather than asking for a paraphrase, the model first works out what the
 * document is trying to do and what an expert version would look like, then writes that version,
 * keeping the document's information and dropping its noise. The final text is delimited by tags so
 * the reasoning can be cut off.
 */

/** System message of chat requests. */
export const REWIRE_SYSTEM = 'You are an expert writer and editor. You turn low-quality web documents into clear, well-organised, self-contained texts.';

/** Where the document goes in a template. */
export const DOCUMENT_SLOT = '{document}';

/** Tags around the final text in the model's answer. */
export const OPEN_TAG = '<rewritten>';
export const CLOSE_TAG = '</rewritten>';

/** The default instruction template (the user message); `{document}` is replaced by the document. */
export const REWIRE_TEMPLATE = `Below is a draft document taken from the web. It may be noisy: navigation text, ads, broken sentences, missing context or poor structure.

1. Work out what the document is for: its task or topic, and who would read it.
2. Reason step by step as the expert best placed to write it: which information is essential, what is noise, what is unclear or missing, and how to organise it.
3. Write an improved version: keep every fact and the original intent, remove the noise, fix grammar and structure, and explain what a reader would need. Do not invent facts.

Write your reasoning first. Then write only the improved document between ${OPEN_TAG} and ${CLOSE_TAG}.

Draft:
${DOCUMENT_SLOT}

Answer:
`;

/** A template split around its document slot. */
export interface PromptParts {
  before: string;
  after: string;
}

/** Splits a template at its one `{document}` slot; throws naming the template when it has none or several. */
export function promptParts(template: string, where = 'template'): PromptParts {
  const parts = template.split(DOCUMENT_SLOT);
  if (parts.length !== 2) throw new Error(`${where}: expected exactly one ${DOCUMENT_SLOT} slot, found ${parts.length - 1}`);
  return { before: parts[0]!, after: parts[1]! };
}

/** The full prompt for a document. */
export function buildPrompt(parts: PromptParts, document: string): string {
  return parts.before + document + parts.after;
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes` (never splits a character). */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * A prompt that fits `budgetBytes` UTF-8 bytes (= byte-tokenizer tokens), for models with a small
 * context. Priority, highest first: the text after the document (the answer cue), the document (cut
 * at its end), the instruction before it (cut from its start, so its last lines survive).
 */
export function fitPrompt(parts: PromptParts, document: string, budgetBytes: number): string {
  const afterBytes = Buffer.byteLength(parts.after, 'utf8');
  const doc = truncateUtf8(document, Math.max(0, budgetBytes - afterBytes));
  const room = budgetBytes - afterBytes - Buffer.byteLength(doc, 'utf8');
  const before = Buffer.from(parts.before, 'utf8');
  let start = Math.max(0, before.length - Math.max(0, room));
  while (start < before.length && (before[start]! & 0xc0) === 0x80) start += 1;
  return before.subarray(start).toString('utf8') + doc + parts.after;
}

/**
 * The rewritten document in a model's answer: the text between the last {@link OPEN_TAG} and the
 * following {@link CLOSE_TAG} (or the end), else the whole answer; trimmed. Null when empty.
 */
export function extractRewrite(answer: string): string | null {
  const open = answer.lastIndexOf(OPEN_TAG);
  let text = answer;
  if (open >= 0) {
    const rest = answer.slice(open + OPEN_TAG.length);
    const close = rest.indexOf(CLOSE_TAG);
    text = close >= 0 ? rest.slice(0, close) : rest;
  }
  text = text.trim();
  return text === '' ? null : text;
}
