import { defineConfig } from 'drizzle-kit';

/** drizzle-kit: `npx drizzle-kit generate` writes a migration for every change to the schema. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './infra/db/schema.ts',
  out: './infra/db/migrations',
});
