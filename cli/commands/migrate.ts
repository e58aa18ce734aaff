/**
 * `braise migrate`: brings the lineage database (DATABASE_URL, else this home's PGlite) up to date with the
 * committed migrations and exits. Every process migrates on open anyway (under an advisory lock); a deployment
 * runs this first, as a one-shot job, so a schema change fails there and not in a serving pod.
 */
import { openRuntime } from '../../infra/runtime.ts';
import { redactUrl } from '../../infra/db/redact-url.ts';
import { say } from '../io.ts';

export async function migrateCommand(): Promise<number> {
  const rt = await openRuntime({ temporal: false, log: say });
  try {
    await rt.database.ping();
    say(`braise: lineage database ${rt.config.databaseUrl ? redactUrl(rt.config.databaseUrl) : rt.config.pgliteDir} is up to date`);
    return 0;
  } finally {
    await rt.close();
  }
}
