/** `braise status <runId>`: a run's stages, live while it works. */
import { NotFoundError } from '../../api/service.ts';
import { connect } from '../connect.ts';
import { renderRun } from '../render.ts';
import { EXIT, exitCodeFor, say } from '../io.ts';

export async function statusCommand(runId: string, opts: { json?: boolean }): Promise<number> {
  const conn = await connect({ queues: [] });
  try {
    const view = await conn.service.getRun(runId);
    process.stdout.write(opts.json ? `${JSON.stringify(view, null, 2)}\n` : `${renderRun(view)}\n`);
    return view.status === 'running' ? EXIT.ok : exitCodeFor(view.status);
  } catch (err) {
    if (err instanceof NotFoundError) {
      say(err.message);
      return EXIT.notFound;
    }
    throw err;
  } finally {
    await conn.close();
  }
}
