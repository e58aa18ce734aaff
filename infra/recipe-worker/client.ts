/**
 * Compiling recipes for the run service. In the API server, parse and compile run on a worker thread with
 * its own heap limit and a deadline, so the largest recipe the limits allow (about 0.5 s of YAML parsing)
 * never blocks `/healthz` or other requests, and a pathological one costs that thread, not the server.
 * Elsewhere (the CLI, tests) they run in-process: starting a thread costs more than a small recipe.
 */
import { Worker } from 'node:worker_threads';
import { RecipeError, checkLimits, compileRecipeWithRefs, type CompileOptions, type Plan } from '../../recipe/index.ts';
import { replySchema, type ArtifactRef, type Job } from './protocol.ts';

export interface CompiledRecipe {
  plan: Plan;
  artifacts: ArtifactRef[];
}

export interface RecipeCompiler {
  /** Throws RecipeError listing every problem. */
  compile(recipe: string | unknown, options: CompileOptions): Promise<CompiledRecipe>;
  close(): Promise<void>;
}

export const inProcessCompiler: RecipeCompiler = {
  async compile(recipe, options) {
    return compileRecipeWithRefs(recipe, options);
  },
  async close() {},
};

export interface ThreadCompilerOptions {
  /** A recipe that takes longer is refused and the thread replaced (default 5 s). */
  timeoutMs?: number;
  /** Heap of the thread (default 512 MiB). */
  maxHeapMb?: number;
}

const ENTRY = new URL('./entry.mjs', import.meta.url);

/** A compiler on one worker thread, started on first use; one recipe at a time, in arrival order. */
export function threadCompiler(opts: ThreadCompilerOptions = {}): RecipeCompiler {
  const timeoutMs = opts.timeoutMs ?? 5000;
  let worker: Worker | null = null;
  let nextId = 1;
  let queue: Promise<unknown> = Promise.resolve();

  const start = (): Worker => {
    const w = new Worker(ENTRY, { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb ?? 512 } });
    w.unref();
    return w;
  };

  const run = (job: Job): Promise<CompiledRecipe> =>
    new Promise<CompiledRecipe>((resolve, reject) => {
      const w = (worker ??= start());
      const done = () => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      const retire = () => {
        if (worker === w) worker = null;
        void w.terminate();
      };
      const timer = setTimeout(() => {
        done();
        retire();
        reject(new RecipeError([{ path: '', message: `validating the recipe took longer than ${timeoutMs / 1000} s: it is too large or too complex` }]));
      }, timeoutMs);
      const onMessage = (message: unknown) => {
        const reply = replySchema.safeParse(message);
        if (!reply.success || reply.data.id !== job.id) return;
        done();
        const r = reply.data;
        if (r.ok) resolve({ plan: r.plan, artifacts: r.artifacts });
        else if ('issues' in r) reject(new RecipeError(r.issues));
        else reject(new Error(`recipe compiler: ${r.error}`));
      };
      const onError = (err: Error) => {
        done();
        retire();
        const oom = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        reject(oom ? new RecipeError([{ path: '', message: `validating the recipe needs more than ${opts.maxHeapMb ?? 512} MiB: it is too large` }]) : err);
      };
      const onExit = (code: number) => {
        done();
        if (worker === w) worker = null;
        reject(new Error(`recipe compiler thread exited with code ${code}`));
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage(job);
    });

  return {
    async compile(recipe, options) {
      // Structured cloning recurses: a parsed value is held to the limits here, iteratively, before it is posted.
      if (typeof recipe !== 'string') {
        const limited = checkLimits(recipe);
        if (limited.length > 0) throw new RecipeError(limited.map(({ rawPath: _r, ...i }) => i));
      }
      const job: Job = { id: nextId++, recipe, options: { ...options, queues: options.queues ? [...options.queues] : undefined } };
      const result = queue.then(() => run(job));
      queue = result.catch(() => undefined);
      return result;
    },
    async close() {
      const w = worker;
      worker = null;
      await w?.terminate();
    },
  };
}
