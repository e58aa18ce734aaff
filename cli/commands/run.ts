/**
 * `braise run <recipe>`: validate, compile, run (through the API or embedded), print the result.
 * Every problem knowable before the run starts exits 2 with its path and line; warnings (an unused
 * dataset) are printed and the run goes ahead.
 */
import { dirname, resolve } from 'node:path';
import { InvalidInputError } from '../../service/contract.ts';
import { loadConfig } from '../../infra/config.ts';
import { addLines, loadRecipeFile, compileRecipe, resolveFileSources, RecipeError, formatIssue, parseRecipeValue, type Plan, type Recipe } from '../../recipe/index.ts';
import { keepPositions } from '../../recipe/loader.ts';
import { connect } from '../connect.ts';
import { followRun } from '../follow.ts';
import { createProgress } from '../progress.ts';
import { renderRun } from '../render.ts';
import { cellProgress, renderReport } from '../render-sweep.ts';
import { EXIT, exitCodeFor, say } from '../io.ts';
import { mark } from '../../infra/timings.ts';
import { applyOverrides } from '../../infra/service.ts';
import { parseSettings } from './resume.ts';

export interface RunCommandOptions {
  json?: boolean;
  cache?: boolean; // commander turns --no-cache into cache: false
  onFailure?: 'pause' | 'fail';
  /** `stages.<id>.<field>=value` pairs applied to the recipe before it is compiled (`--set`). */
  set?: string[];
}

/** The recipe with `--set` applied, validated again as a whole; its issues keep the file's lines. */
function withOverrides(recipe: Recipe, overrides: Record<string, unknown>, path: string): Recipe {
  try {
    return keepPositions(recipe, parseRecipeValue(applyOverrides(recipe, overrides)));
  } catch (err) {
    if (err instanceof RecipeError) throw new RecipeError(addLines(recipe, err.issues), path);
    throw err;
  }
}

/**
 * A recipe file read as a run starts from it: `file:` paths resolved against its folder, `--set` applied, and
 * compiled here with this machine's worker memory and queues, so every error shows now with the file's lines
 * (printed, answered with EXIT.invalid); warnings are printed. `braise schedule create` reads its recipe the same way.
 */
export async function readRecipeForStart(file: string, set: string[] = []): Promise<Recipe | number> {
  const read = await compileRecipeFile(file, set);
  return typeof read === 'number' ? read : read.recipe;
}

/** {@link readRecipeForStart}, also answering the plan (`braise validate` prints it). */
export async function compileRecipeFile(file: string, set: string[] = []): Promise<{ recipe: Recipe; plan: Plan } | number> {
  try {
    const path = resolve(file);
    let recipe = resolveFileSources((await loadRecipeFile(path)).recipe, dirname(path));
    const overrides = parseSettings(set);
    // Validated again as a whole, keeping the file's lines for the issues it still has.
    if (Object.keys(overrides).length > 0) recipe = withOverrides(recipe, overrides, path);
    const config = loadConfig();
    // Every error now, before anything starts, with this machine's worker memory and queues.
    const plan = compileRecipe(recipe, { workerMemoryBytes: config.workerMemoryBytes, queues: config.extraQueues });
    for (const w of plan.warnings ?? []) say(`${file}: warning: ${formatIssue(w)}`);
    mark('recipe compiled');
    return { recipe, plan };
  } catch (err) {
    if (err instanceof RecipeError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT.invalid;
    }
    if (err instanceof InvalidInputError) {
      say(`${file}: invalid --set:\n${err.issues.map((i) => `  ${formatIssue({ ...i, path: i.path.replace(/^with\./, '--set ') })}`).join('\n')}`);
      return EXIT.invalid;
    }
    throw err;
  }
}

export async function runCommand(file: string, opts: RunCommandOptions): Promise<number> {
  const recipe = await readRecipeForStart(file, opts.set);
  if (typeof recipe === 'number') return recipe;

  const conn = await connect({ queues: ['control', 'cpu', 'gpu'] });
  mark(`connected (${conn.mode})`);
  try {
    let started;
    try {
      started = await conn.service.startRun({ recipe, noCache: opts.cache === false, onFailure: opts.onFailure });
    } catch (err) {
      if (err instanceof InvalidInputError) {
        // The service checked what only it can (artifacts in the store); the file's lines come from here.
        say(`${file}: invalid recipe:\n${addLines(recipe, err.issues).map((i) => `  ${formatIssue(i)}`).join('\n')}`);
        return EXIT.invalid;
      }
      throw err;
    }
    mark('run started');
    say(`run ${started.runId} started${conn.mode === 'api' ? ' on the Braise API' : ''} — ${started.temporalUiUrl}`);
    let interrupted = false;
    const onSigint = () => {
      if (interrupted) process.exit(EXIT.interrupted);
      interrupted = true;
      say('cancelling the run (Ctrl-C again to leave it running)…');
      void conn.service.cancel(started.runId).catch(() => undefined);
    };
    process.on('SIGINT', onSigint);
    const view = await followRun(conn.service, started.runId, recipe.sweep ? cellProgress(say) : createProgress());
    process.off('SIGINT', onSigint);
    mark(`run ${view.status}`);
    process.stdout.write(opts.json ? `${JSON.stringify(view, null, 2)}\n` : `${renderRun(view)}\n`);
    // A sweep ends with its report (also when cells failed: the report says which).
    if (recipe.sweep && view.report && !opts.json) process.stdout.write(`\n${renderReport(await conn.service.report(view.runId))}\n`);
    if (view.status === 'paused') {
      say(`run paused: ${view.error}\nFix the cause, then resume it with: braise resume ${view.runId} (a worker must be running: braise up)`);
    }
    return interrupted ? EXIT.interrupted : exitCodeFor(view.status);
  } finally {
    await conn.close();
    mark('closed');
  }
}
