/**
 * The recipe compiler's worker thread: parses and compiles one recipe per message, so a large recipe's
 * YAML parse (the yaml library reads about 0.5 MB/s) never blocks the API's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { compileRecipeWithRefs, RecipeError } from '../../recipe/index.ts';
import { jobSchema, type JobReply } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('infra/recipe-worker/main.ts runs as a worker thread');

port.on('message', (message: unknown) => {
  const job = jobSchema.parse(message);
  let reply: JobReply;
  try {
    reply = { id: job.id, ok: true, ...compileRecipeWithRefs(job.recipe, job.options) };
  } catch (err) {
    reply = err instanceof RecipeError ? { id: job.id, ok: false, issues: err.issues } : { id: job.id, ok: false, error: (err as Error).message ?? String(err) };
  }
  port.postMessage(reply);
});
