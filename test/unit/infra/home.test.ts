/**
 * Leaks through file modes: the Braise home is 0700 (created so, or tightened), and the API token file is 0600
 * whether it is new, replaced, or kept from before with looser permissions.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../infra/db/client.ts';
import { prepareHome } from '../../../infra/home.ts';
import { ensureLocalToken, localTokenPath, TokenStore } from '../../../infra/auth/tokens.ts';

const mode = async (p: string) => (await stat(p)).mode & 0o777;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'braise-home-test-'));
  await chmod(dir, 0o755);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('prepareHome', () => {
  it('creates the home 0700 (and its missing parents with the usual mode)', async () => {
    const home = join(dir, 'a', 'b', '.braise');
    await prepareHome(home);
    expect(await mode(home)).toBe(0o700);
    expect(await mode(join(dir, 'a'))).not.toBe(0o700);
  });

  it('tightens an existing world-readable home and keeps its contents', async () => {
    const home = join(dir, '.braise');
    await mkdir(home, { mode: 0o755 });
    await chmod(home, 0o755);
    await writeFile(join(home, 'temporal.db'), 'x');
    await prepareHome(home);
    expect(await mode(home)).toBe(0o700);
    expect(await readFile(join(home, 'temporal.db'), 'utf8')).toBe('x');
  });

  it('leaves a shared sticky directory alone and says why', async () => {
    const shared = join(dir, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const warnings: string[] = [];
    await prepareHome(shared, (m) => warnings.push(m));
    expect(await mode(shared)).toBe(0o777);
    expect(warnings.join()).toMatch(/sticky/);
  });
});

describe('the local API token file', () => {
  // One in-memory PGlite for these tests: opening one takes seconds on a busy machine.
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://' });
  }, 120_000);
  afterAll(async () => {
    await database.close();
  });

  it('is written 0600 on first start', async () => {
    const token = await ensureLocalToken(dir, new TokenStore(database));
    expect(await mode(localTokenPath(dir))).toBe(0o600);
    expect((await readFile(localTokenPath(dir), 'utf8')).trim()).toBe(token);
  });

  it('is rewritten 0600 when an old file with mode 0644 held a token that no longer verifies', async () => {
    await writeFile(localTokenPath(dir), 'brs_stale\n', { mode: 0o644 });
    await chmod(localTokenPath(dir), 0o644);
    const token = await ensureLocalToken(dir, new TokenStore(database));
    expect(token).not.toBe('brs_stale');
    expect(await mode(localTokenPath(dir))).toBe(0o600);
  });

  it('is tightened to 0600 when a valid token is kept from a loose file', async () => {
    const tokens = new TokenStore(database);
    const first = await ensureLocalToken(dir, tokens);
    await chmod(localTokenPath(dir), 0o644);
    expect(await ensureLocalToken(dir, tokens)).toBe(first);
    expect(await mode(localTokenPath(dir))).toBe(0o600);
  });

  it('refuses token names holding a NUL (or anything but letters, digits, ".", "_", "-")', async () => {
    const tokens = new TokenStore(database);
    for (const name of ['ci\u0000', '\u0000', 'a b', '']) await expect(tokens.create(name)).rejects.toThrow(/token name/);
  });
});
