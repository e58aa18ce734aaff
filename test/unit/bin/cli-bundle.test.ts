/**
 * The CLI's cached esbuild bundle (bin/cli-bundle.js): built once, reused while its sources are unchanged byte for
 * byte (checked by stat, hashing what the stat cannot vouch for), rebuilt when one changes; `import.meta.url` still names each source file, and lazy imports stay lazy.
 */
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliBundle } from '../../../bin/cli-bundle.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'braise-cli-bundle-'));
  await writeFile(join(dir, 'main.ts'), "import { here, value } from './dep.ts';\nexport const answer: number = value;\nexport const depUrl = here;\nexport const lazy = () => import('./lazy.ts');\n");
  await writeFile(join(dir, 'dep.ts'), 'export const value: number = 1;\nexport const here = import.meta.url;\n');
  await writeFile(join(dir, 'lazy.ts'), 'export const loaded = true;\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Main {
  answer: number;
  depUrl: string;
  lazy(): Promise<{ loaded: boolean }>;
}

const load = async (main: string): Promise<Main> => (await import(main)) as Main;

describe('cliBundle', () => {
  const opts = () => ({ root: dir, entry: join(dir, 'main.ts'), cacheDir: join(dir, 'cache') });

  it('builds once, then reuses the build while the sources are unchanged', async () => {
    const first = await cliBundle(opts());
    expect(first.source).toBe('built');
    const m = await load(first.main);
    expect(m.answer).toBe(1);
    // Paths built from import.meta.url are the source's, not the bundle's.
    expect(m.depUrl).toBe(pathToFileURL(join(dir, 'dep.ts')).href);
    expect((await m.lazy()).loaded).toBe(true);

    const second = await cliBundle(opts());
    expect(second).toEqual({ main: first.main, source: 'cache' });
  });

  it('rebuilds when a source it was built from changes', async () => {
    const first = await cliBundle(opts());
    await writeFile(join(dir, 'dep.ts'), 'export const value: number = 2;\nexport const here = import.meta.url;\n');
    const second = await cliBundle(opts());
    expect(second.source).toBe('built');
    expect(second.main).not.toBe(first.main);
    expect((await load(second.main)).answer).toBe(2);
    expect((await cliBundle(opts())).source).toBe('cache');
  });

  it('trusts an unchanged stat of a file older than the build, and hashes a file whose stat changed', async () => {
    // Sources last modified an hour ago: their stat alone vouches for them.
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const f of ['main.ts', 'dep.ts', 'lazy.ts']) await utimes(join(dir, f), hourAgo, hourAgo);
    const first = await cliBundle(opts());
    expect(first.source).toBe('built');
    expect(await cliBundle(opts())).toEqual({ main: first.main, source: 'cache' });
    // Touched, same bytes: hashed, still the same build.
    const now = new Date();
    await utimes(join(dir, 'dep.ts'), now, now);
    expect(await cliBundle(opts())).toEqual({ main: first.main, source: 'cache' });
    // Same size, other bytes, a new mtime: rebuilt.
    await writeFile(join(dir, 'dep.ts'), 'export const value: number = 3;\nexport const here = import.meta.url;\n');
    const changed = await cliBundle(opts());
    expect(changed.source).toBe('built');
    expect((await load(changed.main)).answer).toBe(3);
  });

  it('fails (so the caller falls back to tsx) when the entry does not compile', async () => {
    await writeFile(join(dir, 'main.ts'), "import { missing } from './nowhere.ts';\nexport const x = missing;\n");
    await expect(cliBundle(opts())).rejects.toThrow();
  });
});
