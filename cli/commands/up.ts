/**
 * `braise up`: the platform in one process — Temporal (embedded dev server
 * unless TEMPORAL_ADDRESS), workers for every queue, and the HTTP API.
 * `braise api`: the API alone; `braise worker`: workers for some queues.
 */
import { createApp } from '../../api/app.ts';
import { serveApi } from '../../api/server.ts';
import { ensureDashboard } from '../../infra/dashboard-build.ts';
import { ensureLocalToken, localTokenPath, TokenStore } from '../../infra/auth/tokens.ts';
import { threadCompiler } from '../../infra/recipe-worker/client.ts';
import { openRuntime } from '../../infra/runtime.ts';
import { createRunService } from '../../infra/service.ts';
import type { QueueName } from '../../infra/temporal/worker.ts';
import { say } from '../io.ts';

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

export async function serveCommand(opts: { queues: QueueName[]; api: boolean }): Promise<number> {
  const rt = await openRuntime({ queues: opts.queues, log: say, setupNative: true });
  let server: Awaited<ReturnType<typeof serveApi>> | null = null;
  try {
    if (opts.queues.length > 0) say(`braise: workers polling ${opts.queues.map((q) => `braise-${q}`).join(', ')} on ${rt.temporalAddress} (namespace ${rt.config.namespace})`);
    if (opts.api) {
      const tokens = new TokenStore(rt.database);
      await ensureLocalToken(rt.config.home, tokens);
      // Recipes are parsed and compiled on a worker thread, so a large one never blocks the API's event loop.
      // Over HTTP, `file:` sources may read only the configured data roots: none unless BRAISE_DATA_ROOTS is set.
      const compiler = threadCompiler();
      // The dashboard is built from this checkout's sources (cached by their hash) unless BRAISE_DASHBOARD_DIR names a build.
      const dashboardDir = rt.config.dashboardDir ?? (await ensureDashboard(rt.config.cacheDir)).dir;
      const app = createApp({ service: createRunService(rt, { compiler, dataRoots: rt.config.dataRoots ?? [] }), tokens, logger: rt.logger, dashboardDir });
      server = await serveApi(app, { host: rt.config.apiHost, port: rt.config.apiPort });
      say(`braise: API on ${server.url} (token in ${localTokenPath(rt.config.home)}; OpenAPI at ${server.url}/v1/openapi.json)`);
      say(`braise: dashboard on ${server.url}/`);
    }
    if (!rt.config.temporalAddress) say(`Temporal UI: ${rt.config.temporalUiUrl}`);
    const signal = await untilSignal();
    say(`braise: ${signal}: shutting down (in-flight stages get the grace time to checkpoint)`);
  } finally {
    await server?.close();
    await rt.close();
  }
  return 0;
}

/** `braise token create --name <n>`: prints a new API token once; only its hash is stored. */
export async function tokenCreateCommand(name: string): Promise<number> {
  const rt = await openRuntime({ temporal: false, log: say });
  try {
    const token = await new TokenStore(rt.database).create(name);
    process.stdout.write(`${token}\n`);
    say(`token "${name}" created; it is shown only this once`);
    return 0;
  } finally {
    await rt.close();
  }
}
