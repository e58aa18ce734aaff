/**
 * API tokens: random secrets shown once; only their sha256 is stored. The
 * local token of `braise up` lives in `.braise/token` (mode 0600) so the CLI
 * on the same machine never needs one pasted.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { apiTokens } from '../db/schema.ts';
import type { TokenVerifier } from '../../service/contract.ts';
import { PRIVATE_FILE_MODE } from '../home.ts';

const PREFIX = 'brs_';

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class TokenStore implements TokenVerifier {
  constructor(private readonly database: Database) {}

  /** Creates a token named `name`; returns the secret, which is not stored and cannot be shown again. */
  async create(name: string): Promise<string> {
    if (!/^[\w.-]{1,64}$/.test(name)) throw new Error(`token name "${name}": expected 1-64 letters, digits, ".", "_" or "-"`);
    const token = PREFIX + randomBytes(24).toString('base64url');
    await this.database.db.insert(apiTokens).values({ id: randomBytes(8).toString('hex'), name, tokenHash: hash(token) });
    return token;
  }

  async verify(token: string): Promise<boolean> {
    if (!token.startsWith(PREFIX) || token.length > 200) return false;
    const digest = hash(token);
    const [row] = await this.database.db.select().from(apiTokens).where(eq(apiTokens.tokenHash, digest));
    if (!row || !timingSafeEqual(Buffer.from(row.tokenHash), Buffer.from(digest))) return false;
    await this.database.db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, row.id));
    return true;
  }
}

export function localTokenPath(home: string): string {
  return join(home, 'token');
}

/** The token in `<home>/token`, or null. */
export async function readLocalToken(home: string): Promise<string | null> {
  try {
    const t = (await readFile(localTokenPath(home), 'utf8')).trim();
    return t || null;
  } catch {
    return null;
  }
}

/**
 * Ensures `<home>/token` holds a valid token, creating one named "local" on first start. The file is mode 0600
 * whatever it was before: a kept token file with looser permissions is tightened, a new one is written 0600.
 */
export async function ensureLocalToken(home: string, tokens: TokenStore): Promise<string> {
  const path = localTokenPath(home);
  const existing = await readLocalToken(home);
  if (existing && (await tokens.verify(existing))) {
    if (((await stat(path)).mode & 0o777) !== PRIVATE_FILE_MODE) await chmod(path, PRIVATE_FILE_MODE);
    return existing;
  }
  const token = await tokens.create('local');
  await writeSecret(path, `${token}\n`);
  return token;
}

/**
 * Writes a secret file that is never readable by others, not even for a moment: a fresh temporary file created
 * 0600 (chmod too, past the umask) and renamed over `path`, so an old file's mode does not carry over.
 */
export async function writeSecret(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', PRIVATE_FILE_MODE);
  try {
    await fh.chmod(PRIVATE_FILE_MODE);
    await fh.writeFile(content);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}
