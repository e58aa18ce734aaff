/** `braise run <recipe>`: validate, compile, run on the embedded (or configured) platform, print the result. */
import { dirname, resolve } from 'node:path';
import { loadRecipeFile, compileRecipe, resolveFileSources, RecipeError } from '../../recipe/index.ts';
import { openRuntime } from '../../infra/runtime.ts';
import { startRun } from '../../infra/temporal/runs.ts';
import { workflowUiUrl } from '../../infra/config.ts';
import { followRun } from '../follow.ts';
import { createProgress } from '../progress.ts';
import { renderRun } from '../render.ts';
import { EXIT, exitCodeFor, say } from '../io.ts';

export interface RunCommandOptions {
  json?: boolean;
  cache?: boolean; // commander turns --no-cache into cache: false
  onFailure?: 'pause' | 'fail';
}

export async function runCommand(file: string, opts: RunCommandOptions): Promise<number> {
  let plan;
  try {
    const path = resolve(file);
    const { recipe } = await loadRecipeFile(path);
    plan = compileRecipe(resolveFileSources(recipe, dirname(path)));
  } catch (err) {
    if (err instanceof RecipeError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT.invalid;
    }
    throw err;
  }

  const rt = await openRuntime({ queues: ['control', 'cpu', 'gpu'], log: say });
  try {
    const started = await startRun(rt.client!, plan, { noCache: opts.cache === false, onFailure: opts.onFailure });
    say(`run ${started.runId} started (${plan.nodes.length} stages) — ${workflowUiUrl(rt.config, started.workflowId)}`);
    let interrupted = false;
    const onSigint = () => {
      if (interrupted) process.exit(EXIT.interrupted);
      interrupted = true;
      say('cancelling the run (Ctrl-C again to leave it running)…');
      void started.handle.cancel().catch(() => undefined);
    };
    process.on('SIGINT', onSigint);
    const view = await followRun(started.handle, rt.config, createProgress());
    process.off('SIGINT', onSigint);
    if (opts.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    else process.stdout.write(`${renderRun(view)}\n`);
    if (view.status === 'paused') {
      say(`run paused: ${view.error}\nFix the cause, then resume it with: braise resume ${view.runId} (a worker must be running: braise up)`);
    }
    return interrupted ? EXIT.interrupted : exitCodeFor(view.status);
  } finally {
    await rt.close();
  }
}
