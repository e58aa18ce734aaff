/**
 * A real Postgres killing a connection that a transaction holds (a server restart, an admin's
 * pg_terminate_backend) must fail that transaction, not the process: the pool's own 'error' listener
 * covers idle clients only. Runs where DATABASE_URL names a server (CI does).
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openDatabase } from '../../../infra/db/client.ts';

const url = process.env['DATABASE_URL'];
/** node-postgres' result of a one-column query. */
const rowsOf = <T extends z.ZodType>(row: T) => z.object({ rows: z.array(row) });

describe.skipIf(!url)('Postgres connection errors', () => {
  it('a checked-out connection terminated by the server rejects its transaction, reports it, and the pool goes on', async () => {
    const lost: string[] = [];
    const db = await openDatabase({ url: url!, onPoolError: (err) => lost.push(err.message) });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const inTx = db.db.transaction(async (tx) => {
        const { rows } = rowsOf(z.object({ pid: z.number() })).parse(await tx.execute(sql`SELECT pg_backend_pid() AS pid`));
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        // Between two statements the client is idle in its transaction: the server's FATAL arrives as an event.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tx.execute(sql`SELECT 1`);
      });
      await expect(inTx).rejects.toThrow();
      expect(lost.join('\n')).toMatch(/terminat/i);
      const { rows } = rowsOf(z.object({ one: z.number() })).parse(await db.db.execute(sql`SELECT 1 AS one`));
      expect(rows[0]?.one).toBe(1);
    } finally {
      await admin.end();
      await db.close();
    }
  });
});
