/** `braise cancel <runId>`: asks the run to stop (its trainer ends within seconds); exit 1 when it had already ended. */
import { ConflictError } from '../../service/contract.ts';
import { withService } from '../connect.ts';
import { EXIT, say } from '../io.ts';

export async function cancelCommand(runId: string, opts: { json?: boolean }): Promise<number> {
  return withService({ queues: [] }, async (conn) => {
    try {
      const result = await conn.service.cancel(runId);
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      say(`run ${runId}: cancellation requested (braise status ${runId} shows when it has stopped)`);
      return EXIT.ok;
    } catch (err) {
      if (err instanceof ConflictError) {
        say(err.message);
        return EXIT.failed;
      }
      throw err;
    }
  });
}
