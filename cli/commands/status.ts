/** `braise status <runId>`: a run's stages, live while it works. */
import { withService } from '../connect.ts';
import { renderRun } from '../render.ts';
import { EXIT, exitCodeFor } from '../io.ts';

export async function statusCommand(runId: string, opts: { json?: boolean }): Promise<number> {
  return withService({ queues: [] }, async (conn) => {
    const view = await conn.service.getRun(runId);
    process.stdout.write(opts.json ? `${JSON.stringify(view, null, 2)}\n` : `${renderRun(view)}\n`);
    return view.status === 'running' ? EXIT.ok : exitCodeFor(view.status);
  });
}
