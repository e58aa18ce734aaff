import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetInputError } from '../../../datasets/errors.ts';
import { readJsonl } from '../../../datasets/jsonl.ts';
import { tempDir } from './helpers.ts';

const LINES = [
  JSON.stringify({ text: 'first document' }),
  '',
  JSON.stringify({ id: 'custom', text: 'second', domain: 'web', license: 'cc0', lang: 'en', meta: { score: 0.5 } }),
  '   ',
  JSON.stringify({ id: 42, text: 'third' }),
];

async function write(dir: string, name: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

describe('readJsonl', () => {
  it('reads plain JSONL: default ids <basename>:<line>, blank lines skipped, extra fields into meta', async () => {
    const file = await write(await tempDir(), 'x.jsonl', `${LINES.join('\n')}\n`);
    expect(await readJsonl(file)).toEqual([
      { id: 'x.jsonl:1', text: 'first document' },
      { id: 'custom', text: 'second', domain: 'web', license: 'cc0', meta: { score: 0.5, lang: 'en' } },
      { id: '42', text: 'third' },
    ]);
  });

  it('reads gzip by extension and by magic bytes, CRLF line endings included', async () => {
    const dir = await tempDir();
    const plain = await readJsonl(await write(dir, 'p.jsonl', LINES.join('\n')));
    const gz = await readJsonl(await write(dir, 'p.jsonl.gz', gzipSync(LINES.join('\r\n'))));
    const sniffed = await readJsonl(await write(dir, 'sniffed.jsonl', gzipSync(LINES.join('\n'))));
    const withoutIds = (docs: typeof plain) => docs.map(({ id: _id, ...rest }) => rest);
    expect(gz.map((d) => d.id)).toEqual(['p.jsonl.gz:1', 'custom', '42']);
    expect(withoutIds(gz)).toEqual(withoutIds(plain));
    expect(withoutIds(sniffed)).toEqual(withoutIds(plain));
  });

  it('stops at limit', async () => {
    const file = await write(await tempDir(), 'x.jsonl', LINES.join('\n'));
    expect((await readJsonl(file, { limit: 2 })).map((d) => d.id)).toEqual(['x.jsonl:1', 'custom']);
  });

  it.each([
    ['{"id": "a"}', 'expected a string "text" field'],
    ['{"text": 5}', 'expected a string "text" field'],
    ['{"text": "  "}', '"text" is empty'],
    ['["text"]', 'expected a JSON object'],
    ['{"text": "a", ', 'invalid JSON'],
    ['{"text": "a", "domain": 3}', '"domain" must be a string'],
    ['{"text": "a", "id": true}', '"id" must be'],
    // The id is the file's content: the message names the lines instead.
    ['{"text": "a", "id": "custom"}', 'duplicate id (the same as on line 3)'],
  ])('names file:line for a bad line %s', async (bad, message) => {
    const dir = await tempDir();
    const file = await write(dir, 'data/x.jsonl', `${LINES.join('\n')}\n${bad}\n`);
    const err = await readJsonl(file, { displayPath: 'data/x.jsonl' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetInputError);
    expect((err as Error).message.startsWith(`data/x.jsonl:6: ${message}`)).toBe(true);
  });

  it('names file:line inside a gzip file too', async () => {
    const file = await write(await tempDir(), 'x.jsonl.gz', gzipSync('{"text":"ok"}\n{"txt":"no"}\n'));
    await expect(readJsonl(file)).rejects.toThrow(`${file}:2: expected a string "text" field`);
  });

  it('names the path of a missing, directory or corrupt file', async () => {
    const dir = await tempDir();
    const missing = path.join(dir, 'nope.jsonl');
    await expect(readJsonl(missing)).rejects.toThrow(DatasetInputError);
    await expect(readJsonl(missing)).rejects.toThrow(`${missing}: file not found`);
    await expect(readJsonl(dir)).rejects.toThrow(`${dir}: is a directory`);
    const corrupt = await write(dir, 'bad.jsonl.gz', gzipSync('{"text":"a"}\n'.repeat(1000)).subarray(0, 40));
    await expect(readJsonl(corrupt)).rejects.toThrow(`${corrupt}: cannot read (gzip)`);
  });
});
