/**
 * Starts one real Temporal dev server (the official CLI, SQLite in a temp dir)
 * for the whole integration suite, and stops it at the end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../infra/config.ts';
import { ensureDevServer, stopDevServer } from '../../infra/temporal/dev-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalUiUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const home = await mkdtemp(join(tmpdir(), 'braise-it-temporal-'));
  const port = 17233 + Math.floor(Math.random() * 500);
  const config = loadConfig({ ...process.env, BRAISE_HOME: home, BRAISE_TEMPORAL_PORT: String(port), BRAISE_TEMPORAL_UI_PORT: String(port + 1000), TEMPORAL_ADDRESS: '' });
  const server = await ensureDevServer(config, (m) => console.error(`[global-setup] ${m}`));
  project.provide('temporalAddress', server.address);
  project.provide('temporalUiUrl', server.uiUrl);
  return async () => {
    await stopDevServer(config);
    await rm(home, { recursive: true, force: true });
  };
}
