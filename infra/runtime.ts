/**
 * A Braise process's wiring: config, artifact store, lineage database,
 * Temporal client (and the embedded dev server when no TEMPORAL_ADDRESS is
 * set), and optionally workers for some queues. `braise run`, `braise up`,
 * `braise worker` and the integration tests all start from here.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime as TemporalRuntime, makeTelemetryFilterString, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities/index.ts';
import type { ControlActivities, SweepActivities } from '../activities/types.ts';
import { ArtifactStore } from '../datasets/artifact-store.ts';
import { s3ClientFromEnv } from '../datasets/s3.ts';
import { S3ArtifactStore } from '../datasets/s3-artifact-store.ts';
import { S3Checkpoints } from '../datasets/s3-checkpoints.ts';
import { stageProgressSignal } from '../workflows/definitions.ts';
import { loadConfig, workflowUiUrl, type BraiseConfig } from './config.ts';
import { mark } from './timings.ts';
import { openDatabase, preloadDatabase, type Database } from './db/client.ts';
import { prepareHome } from './home.ts';
import { LineageStore } from './db/lineage.ts';
import { activityLineage } from './db/recorder.ts';
import { createRunService } from './service.ts';
import { ConflictError } from '../service/contract.ts';
import { compactForLog, createLogger, logLevel } from './logger.ts';
import { stageLogSink } from '../activities/stage-log.ts';
import { closeSafeRetryInterceptor } from './temporal/close-safe-retry.ts';
import { acquirePidLock, LockHeldError } from './pid-lock.ts';
import { ensureTensorflow } from '../ml/native/setup.ts';
import { ensureDevServer, portOpen } from './temporal/dev-server.ts';
import { ensureSearchAttributes } from './temporal/runs.ts';
import { createControlWorker, createWorkers, workflowBundle, type QueueName, type WorkerSet } from './temporal/worker.ts';

export interface BraiseRuntime {
  config: BraiseConfig;
  logger: Logger;
  store: ArtifactStore;
  database: Database;
  lineage: LineageStore;
  temporalAddress: string | null;
  /** null when opened with `temporal: false` (lineage-only commands). */
  client: Client | null;
  /**
   * For waits that may outlive a caller's interest (a run's result): its connection has no gRPC retry interceptor,
   * whose backoff timers survive a cancelled call and throw once the connection closes. The waiter rides out an
   * unavailable server itself (`awaitRunState`). Connects on first use.
   */
  waitClient: Client | null;
  workers: WorkerSet | null;
  close(): Promise<void>;
}

export interface OpenRuntimeOptions {
  config?: BraiseConfig;
  logger?: Logger;
  /** Queues this process polls; empty for a client-only process. */
  queues?: QueueName[];
  /** Progress messages for humans (e.g. "starting Temporal dev server"). */
  log?: (message: string) => void;
  /** Connect to Temporal (default true); lineage-only commands skip it. */
  temporal?: boolean;
  /** Workflow code on the main thread (see WorkerSetOptions.workflowsInProcess); for processes that run one run. */
  workflowsInProcess?: boolean;
  /**
   * Set up the native TensorFlow backend first if this process trains (polls cpu or gpu) and it is missing
   * (ml/native/setup.ts: one progress line; a cached install costs a few stats). The CLI sets it; tests do not.
   */
  setupNative?: boolean;
}

let runtimeInstalled = false;

/** `level`: what the SDK logs; the process logger's own level may be lower (it tees info lines to stage logs). */
function installTemporalRuntime(logger: Logger, level: string): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // The SDK logs to stdout by default; route it through pino (stderr) so `--json` output stays clean.
  try {
    installRuntime(logger, level);
  } catch (err) {
    // The Runtime is one per process, and outlives a failed start (nothing released it): another copy of this module
    // (a test file's; vitest loads modules anew per file in one process) installed it. Keep that one.
    if (!(err instanceof IllegalStateError)) throw err;
  }
}

function installRuntime(logger: Logger, level: string): void {
  TemporalRuntime.install({
    logger: new DefaultLogger(level === 'debug' ? 'DEBUG' : level === 'info' ? 'INFO' : 'WARN', (entry) => {
      // Activity-only workers (braise-cpu, braise-gpu) have no workflows by design.
      if (entry.message.startsWith('No workflows registered')) return;
      const fn = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : entry.level === 'INFO' ? 'info' : 'debug';
      logger[fn]({ temporal: compactForLog(entry.meta) }, entry.message);
    }),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level === 'debug' ? 'DEBUG' : 'ERROR' }) } },
  });
}

export async function openRuntime(opts: OpenRuntimeOptions = {}): Promise<BraiseRuntime> {
  const config = opts.config ?? loadConfig();
  // A process that runs stages tees their info lines into their stage logs (activities/stage-log.ts).
  const logger = opts.logger ?? createLogger(logLevel(), opts.queues?.some((q) => q !== 'control') ? stageLogSink : undefined);
  if (opts.setupNative === true && opts.queues?.some((q) => q === 'cpu' || q === 'gpu')) {
    await ensureTensorflow({ toolsDir: config.toolsDir, log: opts.log ?? ((m) => logger.warn(m)) });
  }
  installTemporalRuntime(logger, opts.logger?.level ?? logLevel());
  const wantTemporal = opts.temporal !== false || (opts.queues?.length ?? 0) > 0;
  await prepareHome(config.home, (m) => logger.warn(m));
  const bundleCacheDir = join(config.cacheDir, 'workflow-bundle');
  // Start-up work that does not depend on each other runs at once: the database opens (PGlite takes a while)
  // while Temporal is reached and the workflow bundle is read.
  const prebuiltBundle = opts.queues?.includes('control') ? checkedPrebuiltBundle(config.workflowBundlePath) : null;
  if (opts.queues?.includes('control') && !prebuiltBundle) workflowBundle(bundleCacheDir).catch(() => undefined); // awaited by createWorkers
  // A home refused another home's dev server must touch nothing: when a server already answers on the port, check
  // whose it is (fast) before the database is opened; only a server this call starts overlaps with the open. While
  // the owner is checked, PGlite's modules and WebAssembly load (loading them touches nothing).
  const embedded = wantTemporal && !config.temporalAddress;
  const serverUp = embedded && (await portOpen(config.devServerPort));
  if (serverUp && !config.databaseUrl) preloadDatabase({ dataDir: config.pgliteDir });
  const reused = serverUp ? (await ensureDevServer(config, opts.log)).address : null;
  const lineageDb = openLineageDatabase(config, logger);
  let temporalAddress: string | null;
  let connection: Connection | null = null;
  let nativeConnection: NativeConnection | null = null;
  // The control worker (a thread that loads the workflow bundle: the slow one) is created while the database opens;
  // its activities wait for the database, which is open before any worker polls.
  let settleControl: { resolve(a: ControlActivities & SweepActivities): void; reject(err: unknown): void } = { resolve() {}, reject() {} };
  const controlReady = new Promise<ControlActivities & SweepActivities>((resolve, reject) => (settleControl = { resolve, reject }));
  controlReady.catch(() => undefined);
  let controlWorker: Promise<Worker> | null = null;
  try {
    temporalAddress = wantTemporal ? (config.temporalAddress ?? reused ?? (await ensureDevServer(config, opts.log)).address) : null;
    mark('temporal server ready');
    // Retries as the SDK's default, minus a throw from a backoff timer once this runtime closes the connection.
    connection = temporalAddress ? await Connection.connect({ address: temporalAddress, interceptors: [closeSafeRetryInterceptor()] }) : null;
    mark('temporal client connected');
    if (opts.queues && opts.queues.length > 0 && temporalAddress) {
      nativeConnection = await NativeConnection.connect({ address: temporalAddress });
      if (opts.queues.includes('control')) {
        controlWorker = createControlWorker({
          connection: nativeConnection,
          namespace: config.namespace,
          activities: whenReady(controlReady),
          bundleCacheDir,
          prebuiltBundle,
          workflowsInProcess: opts.workflowsInProcess ?? false,
        });
        controlWorker.catch(() => undefined); // awaited below
      }
    }
  } catch (err) {
    await lineageDb.then((l) => l.close(), () => undefined);
    await nativeConnection?.close();
    await connection?.close();
    throw err;
  }
  const { database, close: closeDatabase } = await lineageDb.catch(async (err: unknown) => {
    settleControl.reject(err);
    await discardWorker(controlWorker);
    await nativeConnection?.close();
    await connection?.close();
    throw err;
  });
  mark('lineage database open');
  const lineage = new LineageStore(database);
  const { store, checkpoints } = await openArtifactStorage(config, wantTemporal).catch(async (err: unknown) => {
    settleControl.reject(err);
    await discardWorker(controlWorker);
    await nativeConnection?.close();
    await connection?.close();
    await closeDatabase();
    throw err;
  });
  const client = connection ? new Client({ connection, namespace: config.namespace }) : null;
  const waitConnection = temporalAddress ? Connection.lazy({ address: temporalAddress, interceptors: [] }) : null;
  const waitClient = waitConnection ? new Client({ connection: waitConnection, namespace: config.namespace }) : null;
  // The embedded dev server is started with them; a server of TEMPORAL_ADDRESS (or a namespace created later) may lack them.
  if (client) {
    await ensureSearchAttributes(client, config.namespace).catch((err: unknown) =>
      logger.warn({ err }, 'could not register the BraiseRecipe/BraiseStatus search attributes; runs will fail to start if they are missing'),
    );
  }

  let workers: WorkerSet | null = null;
  // The runtime this function returns: child runs are started through its run service (made on first use).
  let self: BraiseRuntime | null = null;
  let childService: ReturnType<typeof createRunService> | null = null;
  const service = () => {
    if (!self) throw new Error('the runtime is not open yet');
    return (childService ??= createRunService(self));
  };
  if (opts.queues && opts.queues.length > 0 && client && nativeConnection) {
    const activities = createActivities({
      store,
      ...(checkpoints ? { checkpoints } : {}),
      lineage: activityLineage(lineage),
      config,
      logger,
      workflowUiUrl: (workflowId) => workflowUiUrl(config, workflowId),
      reportProgress: async (workflowId, stageId, progress) => {
        await client.workflow.getHandle(workflowId).signal(stageProgressSignal, { stageId, progress });
      },
      describeWorkflow: async (workflowId) => {
        try {
          const d = await client.workflow.getHandle(workflowId).describe();
          return { running: d.status.name === 'RUNNING' };
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return null;
          throw err;
        }
      },
      runs: {
        async start(recipe, key, { parent, noCache }) {
          const { runId, workflowId, created } = await service().startRun({ recipe, noCache, onFailure: 'fail', idempotencyKey: key, parent });
          return { runId, workflowId, created };
        },
        wait: (runId, signal) => service().awaitRun!(runId, signal),
        async cancel(runId) {
          await service()
            .cancel(runId)
            .catch((err: unknown) => {
              if (!(err instanceof ConflictError)) throw err; // ended already
            });
        },
      },
    });
    settleControl.resolve(activities.control);
    workers = await createWorkers({
      connection: nativeConnection,
      namespace: config.namespace,
      activities,
      queues: opts.queues,
      bundleCacheDir,
      prebuiltBundle,
      workflowsInProcess: opts.workflowsInProcess ?? false,
      ...(controlWorker ? { controlWorker } : {}),
    });
    mark('workers created');
    void workers.run().catch((err: unknown) => logger.error({ err }, 'worker stopped with an error'));
  }

  self = {
    config,
    logger,
    store,
    database,
    lineage,
    temporalAddress,
    client,
    waitClient,
    workers,
    async close() {
      await workers?.shutdown();
      await nativeConnection?.close();
      await waitConnection?.close();
      await connection?.close();
      await closeDatabase();
    },
  };
  return self;
}

/**
 * The artifact store of `config`: the filesystem one, or S3 with this home's cache (and checkpoints mirrored
 * there). `check`: the bucket is checked now, so a missing one fails `braise worker` / `braise api` / `braise up`
 * at start (lineage-only commands such as `braise token create` do not need it).
 */
async function openArtifactStorage(config: BraiseConfig, check: boolean): Promise<{ store: ArtifactStore; checkpoints: S3Checkpoints | null }> {
  if (!config.artifactsS3) return { store: new ArtifactStore(config.artifactsRoot), checkpoints: null };
  const client = s3ClientFromEnv();
  const store = new S3ArtifactStore(config.artifactsRoot, config.artifactsS3, client);
  if (check) await store.check();
  return { store, checkpoints: new S3Checkpoints(config.checkpointsRoot, config.artifactsS3, client) };
}

/** Control activities that wait for `ready` (the real ones, made once the lineage database is open). */
function whenReady(ready: Promise<ControlActivities & SweepActivities>): ControlActivities & SweepActivities {
  return {
    recordSweepReport: async (input) => (await ready).recordSweepReport(input),
    startRun: async (input) => (await ready).startRun(input),
    prepareStep: async (input) => (await ready).prepareStep(input),
    prepareCached: async (input) => (await ready).prepareCached(input),
    completeStep: async (input) => (await ready).completeStep(input),
    setRunStatus: async (input) => (await ready).setRunStatus(input),
  };
}

/** Lets go of a worker that was created but will never poll (the runtime failed to open). */
async function discardWorker(worker: Promise<Worker> | null): Promise<void> {
  const w = await worker?.catch(() => null);
  if (!w) return;
  const running = w.run().catch(() => undefined);
  w.shutdown();
  await running;
}

/** The lineage database: a Postgres pool, or PGlite under the home behind its one-process lock. */
async function openLineageDatabase(config: BraiseConfig, logger: Logger): Promise<{ database: Database; close(): Promise<void> }> {
  let releaseLock: (() => Promise<void>) | null = null;
  if (!config.databaseUrl) {
    try {
      releaseLock = await acquirePidLock(`${config.pgliteDir}.lock`);
    } catch (err) {
      if (err instanceof LockHeldError) {
        throw new Error(
          `the embedded lineage database (${config.pgliteDir}) is in use by process ${err.pid} (braise run/up). ` +
            'Wait for it, or use a Postgres server with DATABASE_URL.',
          { cause: err },
        );
      }
      throw err;
    }
  }
  const database = await openDatabase(
    config.databaseUrl
      ? { url: config.databaseUrl, onPoolError: (err) => logger.warn(`database connection lost (${err.message}); reconnecting`) }
      : { dataDir: config.pgliteDir },
  ).catch(async (err: unknown) => {
    await releaseLock?.();
    throw err;
  });
  return {
    database,
    async close() {
      await database.close();
      await releaseLock?.();
    },
  };
}

/** BRAISE_WORKFLOW_BUNDLE's file, refused at start when it is missing (a worker must not fail later, on its first run). */
function checkedPrebuiltBundle(path: string | null): string | null {
  if (path !== null && !existsSync(path)) {
    throw new Error(`BRAISE_WORKFLOW_BUNDLE: ${path} does not exist (build it with \`npm run build:workflows\`, or unset the variable to bundle at start)`);
  }
  return path;
}
