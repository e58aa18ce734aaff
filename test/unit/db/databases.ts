/**
 * The databases the db tests run against: in-memory PGlite always, and a real
 * Postgres when DATABASE_URL is set. Each `create()` makes a fresh, empty database
 * (a new PGlite, or a new Postgres database that `cleanup` drops).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../../infra/db/client.ts';

export interface TestDatabase {
  name: 'pglite' | 'postgres';
  /**
   * Creates an empty database and returns how to open it and how to drop it.
   * An in-memory PGlite opens once; pass `reopenable` to get one in a temp directory
   * (close it before opening it again: PGlite is single-process). Cleanup closes what is still open.
   */
  create(opts?: { reopenable?: boolean }): Promise<{ open(): Promise<Database>; cleanup(): Promise<void> }>;
}

const pglite: TestDatabase = {
  name: 'pglite',
  create: async (opts) => {
    const dir = opts?.reopenable ? await mkdtemp(join(tmpdir(), 'braise-pglite-')) : undefined;
    const opened: Database[] = [];
    return {
      open: async () => {
        if (!dir && opened.length > 0) throw new Error('an in-memory PGlite database cannot be re-opened');
        const db = await openDatabase({ dataDir: dir ? join(dir, 'db') : 'memory://' });
        opened.push(db);
        return db;
      },
      cleanup: async () => {
        await Promise.all(opened.map((d) => d.close()));
        if (dir) await rm(dir, { recursive: true, force: true });
      },
    };
  },
};

function postgres(adminUrl: string): TestDatabase {
  return {
    name: 'postgres',
    create: async () => {
      const dbName = `braise_test_${randomBytes(6).toString('hex')}`;
      await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${dbName}`));
      const url = new URL(adminUrl);
      url.pathname = `/${dbName}`;
      const opened: Database[] = [];
      return {
        open: async () => {
          const db = await openDatabase({ url: url.toString() });
          opened.push(db);
          return db;
        },
        cleanup: async () => {
          await Promise.all(opened.map((d) => d.close()));
          await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
        },
      };
    },
  };
}

async function withAdmin(url: string, fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

/** For `describe.each`: PGlite, plus Postgres when DATABASE_URL is set. */
export function testDatabases(): TestDatabase[] {
  const url = process.env['DATABASE_URL'];
  return url ? [pglite, postgres(url)] : [pglite];
}
