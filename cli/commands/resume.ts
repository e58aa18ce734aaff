/** `braise resume <runId>`: retries the stages of a paused run and follows it to the end. */
import { openRuntime } from '../../infra/runtime.ts';
import { createRunService } from '../../infra/service.ts';
import { resumeSignal } from '../../workflows/definitions.ts';
import { followRun } from '../follow.ts';
import { createProgress } from '../progress.ts';
import { renderRun } from '../render.ts';
import { EXIT, exitCodeFor, say } from '../io.ts';

export async function resumeCommand(runId: string, opts: { json?: boolean }): Promise<number> {
  const rt = await openRuntime({ queues: ['control', 'cpu', 'gpu'], log: say });
  try {
    const run = await rt.lineage.getRun(runId);
    if (!run) {
      say(`no run "${runId}"`);
      return EXIT.notFound;
    }
    if (run.status !== 'paused') {
      say(`run ${runId} is ${run.status}; only paused runs can be resumed in place`);
      return EXIT.failed;
    }
    const handle = rt.client!.workflow.getHandle(run.workflowId);
    await handle.signal(resumeSignal, {});
    say(`run ${runId} resumed`);
    const view = await followRun(createRunService(rt), runId, createProgress());
    process.stdout.write(opts.json ? `${JSON.stringify(view, null, 2)}\n` : `${renderRun(view)}\n`);
    return exitCodeFor(view.status);
  } finally {
    await rt.close();
  }
}
