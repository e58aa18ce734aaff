/**
 * The row shapes of post-training data, in one place: prompts with checkable answers (`{prompt, answer}`,
 * for RLVR and generate-style evaluation), SFT pairs (`{prompt, response}`) and preference pairs
 * (`{prompt, chosen, rejected}`, for DPO) and multiple-choice items (`{prompt, choices, answer}`, for evaluation). The built-in generators (./tasks.ts) and `file:` JSONL in these
 * shapes (../jsonl.ts, a dataset's `shape:`) make dataset documents of them; the stages that train or
 * evaluate on them (sft, dpo, rlvr, evaluate) read a document's row back with {@link rowOfDoc}. A row
 * lives in a document's `meta`; its `text` is the row's words joined (what decontamination and byte
 * counts see). PURE: zod only (ml/ may import this file; lint's layer rules allow it by name).
 */
import { z } from 'zod';

const field = z.string().min(1);

/** A prompt and the answer a verifier checks (exact match of the extracted final answer). */
export const answerRow = z.object({ prompt: field, answer: field });
/** A prompt and the response to imitate (SFT). */
export const sftRow = z.object({ prompt: field, response: field });
/** A prompt, a preferred and a dispreferred response (DPO). */
export const preferenceRow = z.object({ prompt: field, chosen: field, rejected: field });
/** A prompt, its choices (at least two) and the 0-based index of the right one (lm-eval's `gold`): multiple-choice evaluation. */
export const multipleChoiceRow = z
  .object({ prompt: field, choices: z.array(field).min(2), answer: z.number().int().min(0) })
  .refine((r) => r.answer < r.choices.length, 'answer is not an index of choices');

export type AnswerRow = z.output<typeof answerRow>;
export type SftRow = z.output<typeof sftRow>;
export type PreferenceRow = z.output<typeof preferenceRow>;
export type MultipleChoiceRow = z.output<typeof multipleChoiceRow>;

/** The row shapes a dataset may declare (`shape:` in a recipe's `datasets:` entry). */
export const ROW_SHAPES = ['answer', 'sft', 'preference', 'multiple_choice'] as const;
export type RowShape = (typeof ROW_SHAPES)[number];

export const ROW_SCHEMAS = { answer: answerRow, sft: sftRow, preference: preferenceRow, multiple_choice: multipleChoiceRow } as const;
export type RowOf<S extends RowShape> = z.output<(typeof ROW_SCHEMAS)[S]>;

/** Each shape's fields, in order (error messages and `text` use it). */
export const ROW_FIELDS: { readonly [S in RowShape]: readonly string[] } = {
  answer: ['prompt', 'answer'],
  sft: ['prompt', 'response'],
  preference: ['prompt', 'chosen', 'rejected'],
  multiple_choice: ['prompt', 'choices', 'answer'],
};

/** "an sft row", "a preference row": for messages. */
export function aRow(shape: RowShape): string {
  return `${shape === 'answer' || shape === 'sft' ? 'an' : 'a'} ${shape} row`;
}

/**
 * What is wrong with `value` as a row of `shape`, naming the first field missing or not a non-empty
 * string (`missing "response"`), or null when it is one. Never quotes the value (it may be anything).
 */
export function rowProblem(shape: RowShape, value: Record<string, unknown>): string | null {
  for (const name of ROW_FIELDS[shape]) {
    const v = value[name];
    if (v === undefined || v === null) return `missing "${name}" (${aRow(shape)} has ${ROW_FIELDS[shape].map((f) => `"${f}"`).join(', ')})`;
    if (shape === 'multiple_choice' && name !== 'prompt') continue;
    if (typeof v !== 'string') return `"${name}" must be a string, got ${Array.isArray(v) ? 'an array' : typeof v}`;
    if (v.trim() === '') return `"${name}" is empty`;
  }
  return shape === 'multiple_choice' ? choicesProblem(value.choices, value.answer) : null;
}

/** A multiple_choice row's `choices` (two or more non-empty strings) and `answer` (an index of them). */
function choicesProblem(choices: unknown, answer: unknown): string | null {
  if (!Array.isArray(choices)) return `"choices" must be an array of strings, got ${typeof choices}`;
  if (choices.length < 2) return `"choices" has ${choices.length} entr${choices.length === 1 ? 'y' : 'ies'}: give at least two`;
  const bad = choices.findIndex((c) => typeof c !== 'string' || c.trim() === '');
  if (bad >= 0) return `"choices[${bad}]" must be a non-empty string`;
  if (typeof answer !== 'number' || !Number.isInteger(answer) || answer < 0 || answer >= choices.length) {
    return `"answer" must be the 0-based index of the right choice (an integer from 0 to ${choices.length - 1})`;
  }
  return null;
}

/** A row's `text` as a document: its text fields joined by newlines (the prompt first; a multiple_choice row's choices, not its index). */
export function rowText<S extends RowShape>(shape: S, row: RowOf<S>): string {
  const r: Record<string, unknown> = row;
  return ROW_FIELDS[shape].flatMap((f) => { const v = r[f]; return typeof v === 'string' ? [v] : Array.isArray(v) ? v.map(String) : []; }).join('\n');
}

/**
 * The row of `shape` a dataset document carries in its `meta`, or a message naming the document and the
 * missing field (for a stage given a dataset of another shape).
 */
export function rowOfDoc<S extends RowShape>(shape: S, doc: { id: string; meta?: Record<string, unknown> }): RowOf<S> | string {
  const meta = doc.meta ?? {};
  const problem = rowProblem(shape, meta);
  if (problem !== null) return `document "${doc.id}" is not ${aRow(shape)}: ${problem}`;
  return ROW_SCHEMAS[shape].parse(meta) as RowOf<S>;
}
