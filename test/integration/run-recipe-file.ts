/**
 * A shipped recipe file run to its end in a new home, on the real platform, with the runtime
 * left open for the test's checks: the setup the stage tests of merge, sft and data-stages share.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openRuntime, type BraiseRuntime } from '../../infra/runtime.ts';
import { awaitRunState, startRun } from '../../infra/temporal/runs.ts';
import { compileRecipe, parseRecipeText, type Plan } from '../../recipe/index.ts';
import type { RunState } from '../../workflows/state.ts';
import { testHome, type TestHome } from './harness.ts';

export interface RecipeFileRun {
  home: TestHome;
  rt: BraiseRuntime;
  /** The recipe's text, for tests that write a broken variant of it. */
  text: string;
  plan: Plan;
  state: RunState;
}

/** Runs `file` (PGlite, workers for every queue) and awaits its end; cleans up itself if that fails. */
export async function runRecipeFile(file: string): Promise<RecipeFileRun> {
  const home = await testHome('pglite');
  let rt: BraiseRuntime | undefined;
  try {
    rt = await openRuntime({ config: home.config, queues: ['control', 'cpu', 'gpu'] });
    const text = await readFile(file, 'utf8');
    const plan = compileRecipe(parseRecipeText(text));
    const state = await awaitRunState((await startRun(rt.client!, plan, { noCache: false })).handle);
    return { home, rt, text, plan, state };
  } catch (err) {
    await rt?.close();
    await home.cleanup();
    throw err;
  }
}

/** The `report.json` of stage `stageId`'s `report` output in a finished run. */
export async function stageReport<T>(rt: BraiseRuntime, state: RunState, stageId: string): Promise<T> {
  const id = state.stages.find((s) => s.id === stageId)?.outputs.find((o) => o.port === 'report')?.artifactId;
  if (id === undefined) throw new Error(`stage "${stageId}" of run ${state.runId} has no report output`);
  return JSON.parse(await readFile(join(rt.store.dir(id), 'report.json'), 'utf8')) as T;
}
