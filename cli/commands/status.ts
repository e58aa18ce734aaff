/** `braise status <runId>`: a run's stages from lineage, with live training progress from Temporal. */
import { openRuntime } from '../../infra/runtime.ts';
import { liveProgress } from '../../infra/temporal/runs.ts';
import { renderRun } from '../render.ts';
import { EXIT, exitCodeFor, say } from '../io.ts';
import { viewFromLineage } from '../view.ts';

export async function statusCommand(runId: string, opts: { json?: boolean }): Promise<number> {
  const rt = await openRuntime({ log: say });
  try {
    const view = await viewFromLineage(rt.lineage, runId);
    if (!view) {
      say(`no run "${runId}" in ${rt.config.databaseUrl ? 'the lineage database' : rt.config.pgliteDir}`);
      return EXIT.notFound;
    }
    if (view.status === 'running' && rt.client) {
      const live = await liveProgress(rt.client.workflow.getHandle(view.workflowId)).catch(() => new Map());
      for (const s of view.stages) {
        const p = live.get(s.id);
        if (p && s.status === 'running') s.progress = { step: p.step, totalSteps: p.totalSteps, loss: p.loss };
      }
    }
    process.stdout.write(opts.json ? `${JSON.stringify(view, null, 2)}\n` : `${renderRun(view)}\n`);
    return view.status === 'running' ? EXIT.ok : exitCodeFor(view.status);
  } finally {
    await rt.close();
  }
}
