import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../infra/db/client.ts';
import { LineageStore } from '../../../infra/db/lineage.ts';
import { seedRun } from './fixtures.ts';
import { testDatabases } from './databases.ts';

const journal: unknown = JSON.parse(
  readFileSync(new URL('../../../infra/db/migrations/meta/_journal.json', import.meta.url), 'utf8'),
);
const migrationCount =
  typeof journal === 'object' && journal !== null && 'entries' in journal && Array.isArray(journal.entries)
    ? journal.entries.length
    : -1;

const TABLES = ['api_tokens', 'artifacts', 'edges', 'metrics', 'runs', 'schedules', 'stage_claims', 'stage_logs', 'steps', 'training_order'];

async function publicTables(d: Database): Promise<string[]> {
  const rows = await d.db.execute(
    sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rowsOf(rows).map((r) => String(r['table_name']));
}

async function appliedMigrations(d: Database): Promise<number> {
  const rows = await d.db.execute(sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
  return Number(rowsOf(rows)[0]?.['n']);
}

function rowsOf(result: unknown): Array<Record<string, unknown>> {
  if (typeof result === 'object' && result !== null && 'rows' in result && Array.isArray(result.rows)) return result.rows;
  throw new Error('no rows in result');
}

describe('migration files', () => {
  it('are committed with a journal', () => {
    expect(migrationCount).toBeGreaterThan(0);
  });
});

describe.each(testDatabases())('migrations on $name', (target) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('create every table on a fresh database, and re-opening it changes nothing', async () => {
    const t = await target.create({ reopenable: true });
    cleanups.push(t.cleanup);
    const first = await t.open();
    expect(first.kind).toBe(target.name);
    await first.ping();
    expect(await publicTables(first)).toEqual(TABLES);
    expect(await appliedMigrations(first)).toBe(migrationCount);
    await seedRun(new LineageStore(first), 'run-kept');
    await first.close();

    const second = await t.open();
    expect(await appliedMigrations(second)).toBe(migrationCount);
    expect(await publicTables(second)).toEqual(TABLES);
    expect(await new LineageStore(second).getRun('run-kept')).toMatchObject({ id: 'run-kept', status: 'running' });
  });

  it.runIf(target.name === 'postgres')('survive several processes migrating at once', async () => {
    const t = await target.create();
    cleanups.push(t.cleanup);
    const opened = await Promise.all([t.open(), t.open(), t.open(), t.open()]);
    for (const d of opened) expect(await appliedMigrations(d)).toBe(migrationCount);
    expect(await publicTables(opened[0]!)).toEqual(TABLES);
  });
});

describe('openDatabase', () => {
  it('names what is missing when given neither url nor dataDir', async () => {
    await expect(openDatabase({})).rejects.toThrow(/url .* or dataDir/);
  });

  it('rejects a url that is not postgres://, without echoing its password', async () => {
    await expect(openDatabase({ url: 'mysql://u:secret@h/db' })).rejects.toThrow(
      'openDatabase: url must start with postgres:// or postgresql://, got "mysql://u:***@h/db"',
    );
  });
});
