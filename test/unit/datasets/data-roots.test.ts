/**
 * `file:` sources stay inside their data roots: checked when a run starts (real paths, symlinks
 * followed, a file that does not exist yet allowed inside) and again when the worker opens the file,
 * so a symlink swapped in after the check cannot reach `/etc/passwd` or `/proc/self/environ`.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataRootProblem, openSourceFile, parseDataRoots } from '../../../datasets/data-roots.ts';
import { DatasetInputError } from '../../../datasets/errors.ts';
import { loadSource } from '../../../datasets/sources.ts';
import { fileSourceIssues } from '../../../infra/file-sources.ts';
import { tempDir, tempStore } from './helpers.ts';

async function layout() {
  const base = await tempDir();
  const root = path.join(base, 'data');
  const other = path.join(base, 'other');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await mkdir(other);
  await writeFile(path.join(root, 'ok.jsonl'), '{"text":"inside"}\n');
  await writeFile(path.join(other, 'secret.jsonl'), '{"text":"the secret is 4711"}\n');
  await symlink(path.join(root, 'ok.jsonl'), path.join(root, 'alias.jsonl'));
  await symlink('/etc/passwd', path.join(root, 'passwd.jsonl'));
  await symlink('/proc/self/environ', path.join(root, 'environ.jsonl'));
  await symlink(other, path.join(root, 'elsewhere'));
  await symlink(root, path.join(base, 'root-link'));
  return { base, root, other };
}

describe('data roots', () => {
  it('parses BRAISE_DATA_ROOTS: colon- or comma-separated, resolved, unset or empty means unrestricted', () => {
    expect(parseDataRoots('/a:/b,rel', '/cwd')).toEqual(['/a', '/b', '/cwd/rel']);
    expect(parseDataRoots(' /a , /a ', '/')).toEqual(['/a']);
    expect(parseDataRoots(undefined, '/')).toBeNull();
    expect(parseDataRoots('', '/')).toBeNull();
  });

  it('allows real paths inside a root, files not there yet included, and roots that are symlinks', async () => {
    const { base, root } = await layout();
    for (const p of ['ok.jsonl', 'alias.jsonl', 'sub/late.jsonl', 'missing-dir/late.jsonl']) {
      expect(await dataRootProblem(path.join(root, p), [root], p), p).toBeNull();
    }
    expect(await dataRootProblem(path.join(base, 'root-link', 'ok.jsonl'), [root], 'x')).toBeNull();
    expect(await dataRootProblem(path.join(root, 'ok.jsonl'), [path.join(base, 'root-link')], 'x')).toBeNull();
    expect(await dataRootProblem('/etc/passwd', null, 'x')).toBeNull();
  });

  it.each([
    ['/etc/passwd', false],
    ['/proc/self/environ', false],
    ['../other/secret.jsonl', false],
    ['passwd.jsonl', true],
    ['environ.jsonl', true],
    ['elsewhere/secret.jsonl', true],
    ['elsewhere/not-there.jsonl', true],
  ])('refuses %s, naming the path and the roots', async (p, viaLink) => {
    const { root } = await layout();
    const problem = await dataRootProblem(path.resolve(root, p), [root], `file:${p}`);
    expect(problem).toBe(`file:${p} is outside the allowed data roots${viaLink ? ' (through a symbolic link)' : ''}: ${root} (BRAISE_DATA_ROOTS)`);
  });

  it('with no roots refuses every file and says how to allow some', async () => {
    const { root } = await layout();
    expect(await dataRootProblem(path.join(root, 'ok.jsonl'), [], 'file:ok.jsonl')).toMatch(/^file:ok\.jsonl: file: sources are not allowed here, no data roots are configured \(BRAISE_DATA_ROOTS/);
  });

  it('the worker refuses at open time what was swapped for a symlink after the check, quoting nothing', async () => {
    const { root, other } = await layout();
    const store = await tempStore();
    const file = path.join(root, 'swapped.jsonl');
    await writeFile(file, '{"text":"fine"}\n');
    const spec = { source: `file:${file}` };
    expect(await dataRootProblem(file, [root], spec.source)).toBeNull();
    expect((await loadSource(spec, { store, cwd: '/', dataRoots: [root] })).map((d) => d.text)).toEqual(['fine']);

    await rm(file);
    await symlink(path.join(other, 'secret.jsonl'), file);
    const err = await loadSource(spec, { store, cwd: '/', dataRoots: [root] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetInputError);
    expect((err as Error).message).toBe(`${file} is outside the allowed data roots (through a symbolic link): ${root} (BRAISE_DATA_ROOTS)`);
    expect((err as Error).message).not.toContain('4711');
    // Without roots (a trusted local caller) the same file reads.
    expect((await loadSource(spec, { store, cwd: '/' })).map((d) => d.text)).toEqual(['the secret is 4711']);
  });

  it('opens only regular files, and says "file not found" only inside the roots', async () => {
    const { root, other } = await layout();
    const fifo = path.join(root, 'pipe.jsonl');
    execFileSync('mkfifo', [fifo]);
    await expect(openSourceFile(fifo, [root], 'pipe.jsonl')).rejects.toThrow('pipe.jsonl: not a regular file');
    await expect(openSourceFile(path.join(root, 'late.jsonl'), [root], 'late.jsonl')).rejects.toThrow(/^late\.jsonl: file not found/);
    await expect(openSourceFile(path.join(other, 'late.jsonl'), [root], 'late.jsonl')).rejects.toThrow(/^late\.jsonl is outside the allowed data roots/);
    await expect(openSourceFile(root, [root], 'data')).rejects.toThrow('data: is a directory');
    const handle = await openSourceFile(path.join(root, 'alias.jsonl'), [root], 'alias.jsonl');
    await handle.close();
  });

  it('a plan is checked before it starts: one issue per file: dataset outside, with its recipe path', async () => {
    const { root } = await layout();
    const node = (id: string, source: string) => ({ id, kind: 'ingest', with: { source } }) as unknown as Parameters<typeof fileSourceIssues>[0]['nodes'][number];
    const plan = {
      nodes: [node('ok', 'file:ok.jsonl'), node('passwd', 'file:/etc/passwd'), node('env', 'file:environ.jsonl'), node('web', 'builtin:brown')],
    };
    const issues = await fileSourceIssues(plan, [root], root);
    expect(issues).toEqual([
      { path: 'datasets.passwd.source', message: `file:/etc/passwd is outside the allowed data roots: ${root} (BRAISE_DATA_ROOTS)` },
      { path: 'datasets.env.source', message: `file:environ.jsonl is outside the allowed data roots (through a symbolic link): ${root} (BRAISE_DATA_ROOTS)` },
    ]);
    expect(await fileSourceIssues(plan, null, root)).toEqual([]);
  });
});
