/** `braise list [--recipe] [--status] [--schedule] [--limit]`: runs, newest first, as a table or JSON. */
import type { RunStatus, RunSummary } from '../../service/contract.ts';
import { withService } from '../connect.ts';
import { EXIT } from '../io.ts';
import { formatDuration, table } from '../render.ts';

export interface ListOptions {
  recipe?: string;
  status?: RunStatus;
  schedule?: string;
  limit?: number;
  cursor?: string;
  json?: boolean;
}

/** `2026-12-02 18:21:51` (UTC): sortable, and as wide on every row. */
function when(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

/** How long the run took, or has been going (`+` marks a run still open). */
function duration(r: RunSummary, now: number): string {
  const start = Date.parse(r.createdAt);
  if (r.finishedAt) return formatDuration(Date.parse(r.finishedAt) - start);
  return `${formatDuration(now - start)}+`;
}

/** The runs table: run id, recipe, status, started (UTC), duration, schedule. */
export function renderRunList(runs: RunSummary[], now = Date.now()): string {
  const rows = [['RUN', 'RECIPE', 'STATUS', 'STARTED (UTC)', 'DURATION', 'SCHEDULE']];
  for (const r of runs) rows.push([r.runId, r.recipe, r.status, when(r.createdAt), duration(r, now), r.schedule ?? '-']);
  return table(rows);
}

export async function listCommand(opts: ListOptions): Promise<number> {
  return withService({ queues: [], temporal: false }, async (conn) => {
    const page = await conn.service.listRuns({
      ...(opts.recipe !== undefined && { recipe: opts.recipe }),
      ...(opts.status !== undefined && { status: opts.status }),
      ...(opts.schedule !== undefined && { schedule: opts.schedule }),
      ...(opts.limit !== undefined && { limit: opts.limit }),
      ...(opts.cursor !== undefined && { cursor: opts.cursor }),
    });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
      return EXIT.ok;
    }
    process.stdout.write(page.runs.length === 0 ? 'no runs\n' : `${renderRunList(page.runs)}\n`);
    if (page.nextCursor) process.stdout.write(`more: braise list --cursor ${page.nextCursor}${opts.limit ? ` --limit ${opts.limit}` : ''}\n`);
    return EXIT.ok;
  });
}
