/** `braise report <runId>`: a sweep's report (the cells, the best one, what regressed since the schedule's previous run). */
import { ConflictError } from '../../service/contract.ts';
import { withService } from '../connect.ts';
import { EXIT, say } from '../io.ts';
import { renderReport } from '../render-sweep.ts';

export async function reportCommand(runId: string, opts: { json?: boolean }): Promise<number> {
  return withService({ queues: [] }, async (conn) => {
    let report;
    try {
      report = await conn.service.report(runId);
    } catch (err) {
      if (err instanceof ConflictError) {
        say(err.message);
        return EXIT.failed;
      }
      throw err;
    }
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderReport(report)}\n`);
    return EXIT.ok;
  });
}
