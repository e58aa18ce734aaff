/**
 * `builtin:tasks`: seeded, deterministic verifiable tasks — multi-digit addition and subtraction, reversing
 * a string, sorting a short list of numbers — as dataset documents in the post-training row shapes
 * (./rows.ts): `answer` (`{prompt, answer}`), `sft` (`{prompt, response}`, the response being the answer),
 * `preference` (`{prompt, chosen, rejected}`: the right answer and a plausible wrong one) and
 * `multiple_choice` (`{prompt, choices, answer}`: the right answer among the wrong one and two other items'
 * answers of the same task, `answer` its index).
 *
 * Every number comes from sha256 of (seed, task, index), so a row depends on nothing else: the same options
 * give the same documents on any machine. The split is a function of the prompt alone (the first byte of
 * sha256 of the prompt: 0–25 held out, about a tenth), so a held-out prompt can never appear in a train
 * split of any seed, task mix or size — the exact-prompt check the tests make. (The filter's 13-gram
 * decontamination cannot see these prompts: most are shorter than 13 words.)
 */
import { createHash } from 'node:crypto';
import { DatasetInputError } from '../errors.ts';
import type { Doc } from '../types.ts';
import { type RowOf, type RowShape, rowText } from './rows.ts';

export const TASKS = ['addition', 'subtraction', 'reverse', 'sort'] as const;
export type Task = (typeof TASKS)[number];
export const SPLITS = ['train', 'heldout'] as const;
export type Split = (typeof SPLITS)[number];

/** Options of {@link generateTasks}, as a recipe's `datasets:` entry gives them. */
export interface TaskOptions {
  /** Task names (an unknown one is refused). */
  tasks?: readonly string[];
  shape?: RowShape;
  split?: Split;
  seed?: number;
  /** How many rows (default 1000 for train, 200 for heldout). */
  limit?: number;
  /** addition and subtraction: the fewest and most digits of each operand (default [2, 4]). */
  digits?: readonly [number, number];
}

/** The operands' digits when a recipe gives none. */
export const DEFAULT_DIGITS = [2, 4] as const;

/** A task item: what the model is asked, the answer, and a wrong answer for preference pairs. */
interface Item {
  prompt: string;
  answer: string;
  wrong: string;
}

/** Uniform integers from one sha256 digest per (seed, task, index): deterministic and independent of call order. */
function draws(seed: number, task: Task, index: number): (n: number) => number {
  const digest = createHash('sha256').update(`braise-tasks/${seed}/${task}/${index}`).digest();
  let at = 0;
  return (n) => {
    const v = digest.readUInt32BE(at % 28);
    at += 4;
    return v % n;
  };
}

/** A number of `lo` to `hi` digits (the count of digits uniform, then the number uniform among them; 1 digit: 1–9). */
function number(draw: (n: number) => number, [lo, hi]: readonly [number, number]): number {
  const digits = lo + draw(hi - lo + 1);
  const low = 10 ** (digits - 1);
  return low + draw(9 * low);
}

/** A wrong integer near `right`: off by 1 to 10 or by ten. */
function nearMiss(right: number, draw: (n: number) => number): string {
  const offsets = [1, 2, 3, 10, -1, -2, -10, 100];
  return String(right + offsets[draw(offsets.length)]!);
}

const MAKE: Record<Task, (draw: (n: number) => number, digits: readonly [number, number]) => Item> = {
  addition(draw, digits) {
    const a = number(draw, digits);
    const b = number(draw, digits);
    return { prompt: `What is ${a} + ${b}?`, answer: String(a + b), wrong: nearMiss(a + b, draw) };
  },
  subtraction(draw, digits) {
    const x = number(draw, digits);
    const y = number(draw, digits);
    const [a, b] = x >= y ? [x, y] : [y, x];
    return { prompt: `What is ${a} - ${b}?`, answer: String(a - b), wrong: nearMiss(a - b, draw) };
  },
  reverse(draw) {
    const length = 4 + draw(5);
    let word = '';
    for (let i = 0; i < length; i++) word += String.fromCharCode(97 + draw(26));
    const reversed = [...word].reverse().join('');
    // The unreversed word, or for a palindrome its reversal with the last letter changed.
    const wrong = reversed !== word ? word : `${reversed.slice(0, -1)}${reversed.endsWith('a') ? 'b' : 'a'}`;
    return { prompt: `Reverse the string "${word}".`, answer: reversed, wrong };
  },
  sort(draw) {
    const length = 3 + draw(4);
    const xs = Array.from({ length }, () => draw(100));
    const sorted = [...xs].sort((p, q) => p - q);
    const answer = sorted.join(', ');
    const descending = [...sorted].reverse().join(', ');
    // Descending order is the wrong answer, unless every number is equal (then one is dropped).
    return { prompt: `Sort these numbers in ascending order: ${xs.join(', ')}.`, answer, wrong: descending !== answer ? descending : sorted.slice(1).join(', ') };
  },
};

/** The split a prompt belongs to: a function of its text alone. */
export function splitOf(prompt: string): Split {
  return createHash('sha256').update(prompt).digest()[0]! < 26 ? 'heldout' : 'train';
}

/** Distractors a multiple-choice item offers besides its `wrong` answer: the answers of other items of its task. */
const MORE_DISTRACTORS = 2;

/**
 * A multiple-choice row: the right answer among `wrong` and `others` (distinct, the right one excluded), in an
 * order drawn from sha256 of the prompt, so where the right answer sits is a function of the prompt alone.
 */
function choiceRow(item: Item, others: readonly string[]): RowOf<'multiple_choice'> {
  const distractors = [...new Set([item.wrong, ...others])].filter((c) => c !== item.answer).slice(0, 1 + MORE_DISTRACTORS);
  const digest = createHash('sha256').update(`braise-choices/${item.prompt}`).digest();
  const choices = [item.answer, ...distractors];
  // Fisher-Yates with the digest's bytes as the draws.
  for (let i = choices.length - 1; i > 0; i--) {
    const j = digest[i]! % (i + 1);
    [choices[i], choices[j]] = [choices[j]!, choices[i]!];
  }
  return { prompt: item.prompt, choices, answer: choices.indexOf(item.answer) };
}

function rowOf(shape: RowShape, item: Item, others: () => string[]): RowOf<RowShape> {
  switch (shape) {
    case 'multiple_choice':
      return choiceRow(item, others());
    case 'answer':
      return { prompt: item.prompt, answer: item.answer };
    case 'sft':
      return { prompt: item.prompt, response: item.answer };
    case 'preference':
      return { prompt: item.prompt, chosen: item.answer, rejected: item.wrong };
  }
}

/**
 * The rows of a split, round-robin over `tasks` (default all four), distinct prompts only, as documents:
 * ids `<split>/<task>/<n>`, `domain` the task, `meta` the row (and `task`), `text` the row's fields joined.
 */
export function generateTasks(opts: TaskOptions = {}): Doc[] {
  const tasks = (opts.tasks ?? TASKS).map((name): Task => {
    const task = TASKS.find((t) => t === name);
    if (task === undefined) throw new DatasetInputError(`builtin:tasks: unknown task "${name}": expected one of ${TASKS.join(', ')}`);
    return task;
  });
  const shape = opts.shape ?? 'answer';
  const split = opts.split ?? 'train';
  const seed = opts.seed ?? 1;
  const count = opts.limit ?? (split === 'train' ? 1000 : 200);
  const digits = opts.digits ?? DEFAULT_DIGITS;
  if (!(Number.isInteger(digits[0]) && Number.isInteger(digits[1]) && digits[0] >= 1 && digits[0] <= digits[1] && digits[1] <= 9)) {
    throw new DatasetInputError(`builtin:tasks: "digits" must be [fewest, most] with 1 ≤ fewest ≤ most ≤ 9, got [${digits.join(', ')}]`);
  }
  if (tasks.length === 0) throw new DatasetInputError('builtin:tasks: "tasks" is empty: name at least one of ' + TASKS.join(', '));
  const docs: Doc[] = [];
  const seen = new Set<string>();
  const made = new Map<Task, number>();
  // Most prompt spaces are large (reverse: 26^4+, addition: ~10^7); one-digit sums have 81 prompts, so a split
  // ends with as many distinct rows as it has when the tries run out.
  for (let index = 0; docs.length < count && index < count * 40; index++) {
    const task = tasks[index % tasks.length]!;
    const item = MAKE[task](draws(seed, task, Math.floor(index / tasks.length)), digits);
    if (seen.has(item.prompt) || splitOf(item.prompt) !== split) continue;
    seen.add(item.prompt);
    const n = made.get(task) ?? 0;
    made.set(task, n + 1);
    // Another item's answer is a distractor of the right form; drawn from indices no row of this size uses.
    const others = () => Array.from({ length: MORE_DISTRACTORS }, (_, k) => MAKE[task](draws(seed, task, 1_000_000_000 + index * MORE_DISTRACTORS + k), digits).answer);
    const row = rowOf(shape, item, others);
    docs.push({ id: `${split}/${task}/${String(n).padStart(5, '0')}`, text: rowText(shape, row), domain: task, meta: { ...row, task } });
  }
  return docs;
}
