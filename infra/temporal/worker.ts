/**
 * Braise workers: `braise-control` runs the interpreter workflow and the
 * lineage/cache activities; `braise-cpu` and `braise-gpu` run stage activities.
 * One process may poll any subset of the queues (`braise up` polls all three).
 */
import { fileURLToPath } from 'node:url';
import type { NativeConnection } from '@temporalio/worker';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { Activities } from '../../activities/index.ts';
import type { ControlActivities, SweepActivities } from '../../activities/types.ts';
import { ABLATION_WORKFLOW, RECIPE_WORKFLOW } from '../../workflows/definitions.ts';
import { cachedWorkflowBundle, type CachedBundle } from './bundle-cache.ts';

export const QUEUES = { control: 'braise-control', cpu: 'braise-cpu', gpu: 'braise-gpu' } as const;
export type QueueName = keyof typeof QUEUES;

/**
 * How a worker stops on SIGTERM, in seconds. `graceSeconds`: how long in-flight activities may finish before they are
 * cancelled (a cancelled training stage writes a checkpoint and exits, so the GPU queue's is short); `forceSeconds`: the
 * most the whole shutdown may take before the worker gives up on it. Deployment manifests mirror these: compose's
 * stop_grace_period and a pod's terminationGracePeriodSeconds exceed `forceSeconds`, KEDA's scale-down stabilization
 * and cooldown are at least that, or a worker could be killed mid-checkpoint (test/unit/deploy/ reads this constant).
 */
export const WORKER_SHUTDOWN = { graceSeconds: { control: 15, cpu: 15, gpu: 1 }, forceSeconds: 60 } as const;

const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));
const bundles = new Map<string, Promise<CachedBundle>>();

/**
 * The workflow code bundled now, without a cache: what `npm run build:workflows` writes for images, whose workers
 * load it (BRAISE_WORKFLOW_BUNDLE) instead of running webpack at start.
 */
export async function buildWorkflowBundle(): Promise<string> {
  return (await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger })).code;
}

/**
 * The workflow code, bundled once per process (webpack takes seconds) and, with a `cacheDir`, once per change of the
 * workflow sources: later processes read it from disk (bundle-cache.ts).
 */
export function workflowBundle(cacheDir: string | null = null): Promise<CachedBundle> {
  let bundle = bundles.get(cacheDir ?? '');
  if (!bundle) {
    bundle = cachedWorkflowBundle({ bundle: { workflowsPath, logger: quietBundlerLogger }, cacheDir, warn: (m) => console.error(`braise: ${m}`) });
    bundles.set(cacheDir ?? '', bundle);
  }
  return bundle;
}

const noop = () => {};
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };

export interface WorkerSetOptions {
  connection: NativeConnection;
  namespace: string;
  activities: Activities;
  queues: QueueName[];
  /** Where the workflow bundle is cached (BRAISE_HOME/cache); null bundles in memory. */
  bundleCacheDir?: string | null;
  /** A bundle built ahead of time (BRAISE_WORKFLOW_BUNDLE, `npm run build:workflows`): loaded as is, no webpack, no cache. */
  prebuiltBundle?: string | null;
  /** Per-queue concurrency; GPU workers default to one training stage at a time. */
  concurrency?: Partial<Record<QueueName, number>>;
  /**
   * Run workflow code on this process's main thread instead of a worker thread (the SDK's `debugMode`, with its
   * deadlock detection kept at the default 5 s). For a process that runs one run, such as `braise run`: the thread
   * loads the SDK a second time (about 0.35 s of CPU) and every activation crosses to it and back.
   */
  workflowsInProcess?: boolean;
}

export interface WorkerSet {
  workers: Worker[];
  /** Resolves when every worker has stopped; rejects if one crashes. */
  run(): Promise<void>;
  /** Graceful: in-flight activities get the grace time to checkpoint and finish. */
  shutdown(): Promise<void>;
}

type QueueWorkerOptions = Pick<WorkerSetOptions, 'connection' | 'namespace' | 'bundleCacheDir' | 'prebuiltBundle' | 'concurrency' | 'workflowsInProcess'>;

function commonOptions(q: QueueName, opts: QueueWorkerOptions) {
  return {
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: QUEUES[q],
    // On SIGTERM, training stages are cancelled almost at once: the trainer writes a checkpoint and exits, so a
    // deploy loses no steps; data stages get longer to finish. Either way the attempt fails and is retried elsewhere.
    shutdownGraceTime: `${WORKER_SHUTDOWN.graceSeconds[q]}s`,
    shutdownForceTime: `${WORKER_SHUTDOWN.forceSeconds}s`,
    // Heartbeats carry training progress: let them reach the server often.
    maxHeartbeatThrottleInterval: '2s',
    defaultHeartbeatThrottleInterval: '2s',
  } as const;
}

/**
 * The `braise-control` worker: the interpreter and ablation workflows, the control activities and the sweep report's. The slow one to create (a thread
 * that loads the workflow bundle, about half a second, unless `workflowsInProcess`), so runtime.ts creates it while
 * the lineage database opens.
 */
export async function createControlWorker(opts: QueueWorkerOptions & { activities: ControlActivities & SweepActivities }): Promise<Worker> {
  const { prebuiltBundle } = opts;
  if (!prebuiltBundle) return createControl(opts);
  // A file that is not a bundle (truncated copy, wrong artifact) fails here, at start: say which file it was.
  return createControl(opts).catch((err: unknown) => {
    throw new Error(`BRAISE_WORKFLOW_BUNDLE: ${prebuiltBundle} could not be loaded as a workflow bundle (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  });
}

async function createControl(opts: QueueWorkerOptions & { activities: ControlActivities & SweepActivities }): Promise<Worker> {
  return Worker.create({
    ...commonOptions('control', opts),
    workflowBundle: opts.prebuiltBundle ? { codePath: opts.prebuiltBundle } : { code: (await workflowBundle(opts.bundleCacheDir ?? null)).code },
    // Any error the interpreter (or an ablation workflow) throws, non-determinism after a bad deploy included, fails the
    // run (which `braise resume` continues from its cached stages) instead of failing the workflow task over and over.
    workflowFailureErrorTypes: { '*': [], [RECIPE_WORKFLOW]: ['Error'], [ABLATION_WORKFLOW]: ['Error'] },
    activities: opts.activities,
    maxConcurrentActivityTaskExecutions: opts.concurrency?.control ?? 8,
    ...(opts.workflowsInProcess ? { debugMode: true, isolateExecutionTimeout: '5s' } : {}),
  });
}

/** Workers for `queues`, created at once; `controlWorker`, when given, is the control queue's (created earlier). */
export async function createWorkers(opts: WorkerSetOptions & { controlWorker?: Promise<Worker> }): Promise<WorkerSet> {
  const workers = await Promise.all(
    opts.queues.map((q) =>
      q === 'control'
        ? (opts.controlWorker ?? createControlWorker({ ...opts, activities: opts.activities.control }))
        : Worker.create({
            ...commonOptions(q, opts),
            activities: opts.activities.stages,
            maxConcurrentActivityTaskExecutions: opts.concurrency?.[q] ?? (q === 'gpu' ? 1 : 2),
          }),
    ),
  );
  let running: Promise<void> | null = null;
  return {
    workers,
    run() {
      running ??= Promise.all(workers.map((w) => w.run())).then(() => undefined);
      return running;
    },
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running?.catch(() => undefined);
    },
  };
}
