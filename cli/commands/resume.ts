/**
 * `braise resume <runId> [--set stages.base.lr=1e-3]`: a paused run retries
 * its failed stage in place; an ended one continues as a new execution that
 * reuses every finished stage and the latest checkpoint. Then follows it.
 */
import { ConflictError, InvalidInputError, NotFoundError } from '../../service/contract.ts';
import { formatIssue } from '../../recipe/index.ts';
import { connect } from '../connect.ts';
import { followRun } from '../follow.ts';
import { createProgress } from '../progress.ts';
import { renderRun } from '../render.ts';
import { EXIT, exitCodeFor, say } from '../io.ts';

/** `key=value` pairs; values are JSON when they parse (numbers, booleans, arrays), strings otherwise. */
export function parseSettings(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidInputError([{ path: `--set ${pair}`, message: 'expected key=value, e.g. stages.base.lr=1e-3' }]);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    out[pair.slice(0, eq)] = value;
  }
  return out;
}

export async function resumeCommand(runId: string, opts: { json?: boolean; set?: string[] }): Promise<number> {
  const conn = await connect({ queues: ['control', 'cpu', 'gpu'] });
  try {
    const settings = parseSettings(opts.set ?? []);
    const resumed = await conn.service.resume(runId, Object.keys(settings).length > 0 ? { with: settings } : {});
    say(
      resumed.mode === 'in-place'
        ? `run ${runId} resumed in place — ${resumed.temporalUiUrl}`
        : `run ${runId} had ended; continuing as run ${resumed.runId} (cached stages and the latest checkpoint are reused) — ${resumed.temporalUiUrl}`,
    );
    const view = await followRun(conn.service, resumed.runId, createProgress());
    process.stdout.write(opts.json ? `${JSON.stringify(view, null, 2)}\n` : `${renderRun(view)}\n`);
    return exitCodeFor(view.status);
  } catch (err) {
    if (err instanceof InvalidInputError) {
      say(`cannot resume ${runId}:\n${err.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
      return EXIT.invalid;
    }
    if (err instanceof NotFoundError || err instanceof ConflictError) {
      say(err.message);
      return err instanceof NotFoundError ? EXIT.notFound : EXIT.failed;
    }
    throw err;
  } finally {
    await conn.close();
  }
}
