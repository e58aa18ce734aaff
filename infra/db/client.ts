/**
 * Opens the lineage database — embedded PGlite or a real Postgres server — and
 * brings its schema up to date with the committed migrations. Each driver is
 * imported only when it is used.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { pgliteAssets } from './pglite-wasm.ts';
import { redactUrl as redact } from './redact-url.ts';
import * as schema from './schema.ts';

/** The drizzle query API shared by both drivers; code above this file sees only this. */
export type BraiseDb = PgDatabase<PgQueryResultHKT, typeof schema>;

/** An open lineage database. */
export interface Database {
  db: BraiseDb;
  kind: 'pglite' | 'postgres';
  /** Releases the pool or the PGlite instance; the Database is unusable afterwards. Calling it again is a no-op. */
  close(): Promise<void>;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** `postgres://…` or `postgresql://…`: a real server through a node-postgres Pool. Wins over `dataDir`. */
  url?: string;
  /** PGlite data directory (created if missing), or `memory://` for a throwaway in-memory database. */
  dataDir?: string;
  /** Called when an idle pooled connection fails (e.g. Postgres restarted); the pool drops it and reconnects. */
  onPoolError?: (err: Error) => void;
}

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Arbitrary but fixed key for `pg_advisory_lock`: every Braise process migrating
 * the same database serializes on it.
 */
const MIGRATION_LOCK_KEY = 0x62_72_61_69; // "brai"

/**
 * Opens the database named by `opts.url` (Postgres) or `opts.dataDir` (PGlite) and
 * applies pending migrations. Safe to call from several processes at once against
 * one Postgres: migration runs under an advisory lock, and re-opening an
 * up-to-date database changes nothing.
 */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.url !== undefined && opts.url !== '') return openPostgres(opts.url, opts.onPoolError);
  if (opts.dataDir !== undefined && opts.dataDir !== '') return openPglite(opts.dataDir);
  throw new Error('openDatabase: pass either url (postgres://…) or dataDir (a directory or memory://)');
}

async function openPostgres(url: string, onPoolError?: (err: Error) => void): Promise<Database> {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new Error(`openDatabase: url must start with postgres:// or postgresql://, got ${JSON.stringify(redact(url))}`);
  }
  const [{ default: pg }, { drizzle: drizzleNodePg }, { migrate: migrateNodePg }] = await Promise.all([
    import('pg'),
    import('drizzle-orm/node-postgres'),
    import('drizzle-orm/node-postgres/migrator'),
  ]);
  const pool = new pg.Pool({ connectionString: url });
  // Without a listener, an idle client's error (server restart) would crash the process.
  pool.on('error', (err) => onPoolError?.(err));
  // The pool listens only while a client is idle: one checked out (a transaction) whose connection dies emits
  // 'error' on the client itself, which would crash the process too. Its query rejects, and the pool drops it.
  pool.on('connect', (client) => client.on('error', (err) => onPoolError?.(err)));
  try {
    const client = await pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      try {
        await migrateNodePg(drizzleNodePg({ client, schema }), { migrationsFolder });
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end();
    throw new Error(`openDatabase: migrating ${redact(url)} failed: ${errorMessage(err)}`, { cause: err });
  }
  const db: BraiseDb = drizzleNodePg({ client: pool, schema });
  return {
    db,
    kind: 'postgres',
    close: once(() => pool.end()),
    ping: async () => {
      await db.execute(sql`SELECT 1`);
    },
  };
}

/** PGlite's modules and WebAssembly, loading (they touch no data directory); started by {@link preloadDatabase}. */
let pgliteLoading: ReturnType<typeof loadPglite> | null = null;

function loadPglite() {
  return Promise.all([import('@electric-sql/pglite'), import('drizzle-orm/pglite'), import('drizzle-orm/pglite/migrator'), pgliteAssets()]);
}

/**
 * Starts loading what {@link openDatabase} with these options will need (PGlite's modules and WebAssembly), so a
 * caller can overlap it with other start-up work; it opens and touches nothing.
 */
export function preloadDatabase(opts: OpenDatabaseOptions): void {
  if (opts.url || !opts.dataDir) return;
  pgliteLoading ??= loadPglite();
  pgliteLoading.catch(() => (pgliteLoading = null)); // the open retries (and reports) it
}

async function openPglite(dataDir: string): Promise<Database> {
  if (!dataDir.includes('://')) await mkdir(dataDir, { recursive: true });
  pgliteLoading ??= loadPglite();
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }, assets] = await pgliteLoading.catch((err: unknown) => {
    pgliteLoading = null;
    throw err;
  });
  const client = await PGlite.create(dataDir, { pgliteWasmModule: assets.wasmModule, fsBundle: assets.fsBundle });
  try {
    const pgliteDb = drizzlePglite({ client, schema });
    await migratePglite(pgliteDb, { migrationsFolder });
    const db: BraiseDb = pgliteDb;
    return {
      db,
      kind: 'pglite',
      close: once(() => client.close()),
      ping: async () => {
        await db.execute(sql`SELECT 1`);
      },
    };
  } catch (err) {
    await client.close();
    throw new Error(`openDatabase: migrating PGlite at ${dataDir} failed: ${errorMessage(err)}`, { cause: err });
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
