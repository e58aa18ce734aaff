/**
 * Post-training data: the built-in verifiable tasks are deterministic, correct, disjoint between train and
 * held-out (an exact-prompt check), in the four row shapes; `file:` rows of a declared shape are read, and a
 * wrong row is refused naming the file, the line and the field.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetInputError } from '../../../datasets/errors.ts';
import { readJsonl } from '../../../datasets/jsonl.ts';
import { rowOfDoc, ROW_SHAPES } from '../../../datasets/posttrain/rows.ts';
import { generateTasks, splitOf, TASKS } from '../../../datasets/posttrain/tasks.ts';
import { loadSource } from '../../../datasets/sources.ts';
import { TASK_NAMES } from '../../../recipe/sources.ts';
import { tempDir, tempStore } from './helpers.ts';

/** What a task's prompt asks, computed independently of the generator. */
function solve(prompt: string): string {
  let m = /^What is (\d+) ([+-]) (\d+)\?$/.exec(prompt);
  if (m) return String(m[2] === '+' ? Number(m[1]) + Number(m[3]) : Number(m[1]) - Number(m[3]));
  m = /^Reverse the string "([a-z]+)"\.$/.exec(prompt);
  if (m) return m[1]!.split('').reverse().join('');
  m = /^Sort these numbers in ascending order: ([\d, ]+)\.$/.exec(prompt);
  if (m) return m[1]!.split(', ').map(Number).sort((a, b) => a - b).join(', ');
  throw new Error(`unrecognised prompt ${prompt}`);
}

describe('builtin:tasks generators', () => {
  it('make operands of the digits asked for (default 2 to 4), keeping the default rows as they were', () => {
    expect(generateTasks({ seed: 3, limit: 50, digits: [2, 4] })).toEqual(generateTasks({ seed: 3, limit: 50 }));
    const operands = (docs: ReturnType<typeof generateTasks>) =>
      docs.flatMap((d) => /^What is (\d+) [+-] (\d+)\?$/.exec(String(d.meta!.prompt))?.slice(1) ?? []);
    const easy = generateTasks({ tasks: ['addition', 'subtraction'], digits: [1, 1], limit: 300 });
    // One-digit operands: 81 prompts per task, minus the held-out tenth; every row distinct and right.
    expect(easy.length).toBeGreaterThan(100);
    expect(easy.length).toBeLessThan(162);
    expect(new Set(operands(easy).map((x) => x.length))).toEqual(new Set([1]));
    for (const d of easy) expect(d.meta!.answer).toBe(solve(String(d.meta!.prompt)));
    const heldout = new Set(generateTasks({ tasks: ['addition'], digits: [1, 1], split: 'heldout' }).map((d) => d.meta!.prompt));
    expect(heldout.size).toBeGreaterThan(0);
    expect(easy.some((d) => heldout.has(d.meta!.prompt))).toBe(false);
    expect(new Set(operands(generateTasks({ tasks: ['addition'], digits: [3, 3], limit: 40 })).map((x) => x.length))).toEqual(new Set([3]));
    expect(() => generateTasks({ digits: [4, 2] })).toThrow('builtin:tasks: "digits" must be [fewest, most] with 1 ≤ fewest ≤ most ≤ 9, got [4, 2]');
  });

  it('are deterministic: the same options give the same documents; another seed gives others', () => {
    const a = generateTasks({ seed: 7, limit: 200 });
    expect(generateTasks({ seed: 7, limit: 200 })).toEqual(a);
    expect(generateTasks({ seed: 8, limit: 200 }).map((d) => d.text)).not.toEqual(a.map((d) => d.text));
    expect(a).toHaveLength(200);
    expect(new Set(a.map((d) => d.id)).size).toBe(200);
    expect(new Set(a.map((d) => d.domain))).toEqual(new Set(TASKS));
  });

  it('have correct answers, and preference pairs whose rejected answer is wrong', () => {
    for (const doc of generateTasks({ shape: 'preference', limit: 400 })) {
      const row = rowOfDoc('preference', doc);
      if (typeof row === 'string') throw new Error(row);
      expect(row.chosen).toBe(solve(row.prompt));
      expect(row.rejected).not.toBe(row.chosen);
    }
    const sft = generateTasks({ shape: 'sft', tasks: ['addition'], limit: 5 });
    expect(sft[0]).toMatchObject({ id: 'train/addition/00000', domain: 'addition', meta: { task: 'addition' } });
    for (const doc of sft) expect(doc.meta!.response).toBe(solve(String(doc.meta!.prompt)));
  });

  it('make multiple-choice rows: the right answer among distinct distractors, at a place fixed by the prompt', () => {
    const docs = generateTasks({ shape: 'multiple_choice', split: 'heldout', limit: 200 });
    expect(generateTasks({ shape: 'multiple_choice', split: 'heldout', limit: 200 })).toEqual(docs);
    const places = new Set<number>();
    for (const doc of docs) {
      const row = rowOfDoc('multiple_choice', doc);
      if (typeof row === 'string') throw new Error(row);
      expect(row.choices[row.answer]).toBe(solve(row.prompt));
      expect(row.choices.length).toBeGreaterThanOrEqual(3);
      expect(new Set(row.choices).size).toBe(row.choices.length);
      places.add(row.answer);
    }
    // The right answer is not always first.
    expect(places.size).toBeGreaterThan(2);
    // The same prompts as the answer rows of the same options.
    expect(docs.map((d) => d.meta!.prompt)).toEqual(generateTasks({ shape: 'answer', split: 'heldout', limit: 200 }).map((d) => d.meta!.prompt));
  });

  it('never put a held-out prompt in a train split, whatever the seed (exact-prompt check)', () => {
    const heldout = new Set<string>();
    for (const seed of [1, 2]) for (const d of generateTasks({ split: 'heldout', seed, limit: 300 })) heldout.add(String(d.meta!.prompt));
    expect(heldout.size).toBeGreaterThan(500);
    for (const seed of [1, 2, 3]) {
      const train = generateTasks({ split: 'train', seed, limit: 2000 });
      expect(train.filter((d) => heldout.has(String(d.meta!.prompt)))).toEqual([]);
      expect(train.every((d) => splitOf(String(d.meta!.prompt)) === 'train')).toBe(true);
    }
  });

  it('is what builtin:tasks loads, with the names the compiler knows', async () => {
    expect([...TASK_NAMES]).toEqual([...TASKS]);
    const ctx = { store: await tempStore(), cwd: '/' };
    const docs = await loadSource({ source: 'builtin:tasks', tasks: ['sort'], shape: 'sft', split: 'heldout', limit: 3 }, ctx);
    expect(docs).toEqual(generateTasks({ tasks: ['sort'], shape: 'sft', split: 'heldout', limit: 3 }));
    await expect(loadSource({ source: 'builtin:tasks', tasks: ['division'] }, ctx)).rejects.toThrow('builtin:tasks: unknown task "division": expected one of addition, subtraction, reverse, sort');
    await expect(loadSource({ source: 'builtin:brown', split: 'train' }, ctx)).rejects.toThrow('builtin:brown: "split" is only supported by builtin:tasks');
  });
});

describe('file: rows of a shape', () => {
  async function file(name: string, lines: unknown[]): Promise<string> {
    const dir = await tempDir();
    await mkdir(dir, { recursive: true });
    const p = path.join(dir, name);
    await writeFile(p, lines.map((l) => JSON.stringify(l)).join('\n'));
    return p;
  }

  it('reads each shape into documents whose meta is the row and whose text joins its fields', async () => {
    const rows = {
      answer: { prompt: 'p', answer: 'a' },
      sft: { prompt: 'p', response: 'r' },
      preference: { prompt: 'p', chosen: 'c', rejected: 'r' },
      multiple_choice: { prompt: 'p', choices: ['x', 'y'], answer: 1 },
    };
    // The text is the row's words: a multiple_choice row's choices, not its index.
    const texts = { answer: 'p\na', sft: 'p\nr', preference: 'p\nc\nr', multiple_choice: 'p\nx\ny' };
    for (const shape of ROW_SHAPES) {
      const [doc] = await readJsonl(await file('rows.jsonl', [{ ...rows[shape], id: 'x' }]), { shape });
      expect(doc).toEqual({ id: 'x', text: texts[shape], meta: rows[shape] });
      expect(rowOfDoc(shape, doc!)).toEqual(rows[shape]);
    }
  });

  it('refuses a row without a field of its shape, naming the file, the line and the field', async () => {
    const p = await file('pairs.jsonl', [{ prompt: 'a', response: 'b' }, { prompt: 'c', response: 'd' }, { prompt: 'e', answer: 'f' }]);
    const err = await readJsonl(p, { shape: 'sft', displayPath: 'data/pairs.jsonl' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetInputError);
    expect((err as Error).message).toBe('data/pairs.jsonl:3: missing "response" (an sft row has "prompt", "response")');
    const choices = await file('mc.jsonl', [{ prompt: 'a', choices: ['b', 'c'], answer: 2 }]);
    await expect(readJsonl(choices, { shape: 'multiple_choice', displayPath: 'mc.jsonl' })).rejects.toThrow('mc.jsonl:1: "answer" must be the 0-based index of the right choice (an integer from 0 to 1)');
    const one = await file('one.jsonl', [{ prompt: 'a', choices: ['b'], answer: 0 }]);
    await expect(readJsonl(one, { shape: 'multiple_choice', displayPath: 'one.jsonl' })).rejects.toThrow('one.jsonl:1: "choices" has 1 entry: give at least two');
    const prefs = await file('prefs.jsonl', [{ prompt: 'a', chosen: 'b', rejected: 7 }]);
    await expect(readJsonl(prefs, { shape: 'preference', displayPath: 'prefs.jsonl' })).rejects.toThrow('prefs.jsonl:1: "rejected" must be a string, got number');
    const texty = await file('t.jsonl', [{ prompt: 'a', answer: 'b', text: 'c' }]);
    await expect(readJsonl(texty, { shape: 'answer', displayPath: 't.jsonl' })).rejects.toThrow('t.jsonl:1: "text" is not a field of an answer row');
  });

  it('a stage reading a dataset of another shape is told which document lacks which field', () => {
    expect(rowOfDoc('sft', { id: 'train/addition/00000', meta: { prompt: 'p', answer: 'a' } })).toBe('document "train/addition/00000" is not an sft row: missing "response" (an sft row has "prompt", "response")');
  });
});
