/** A stage request and activity deps over a temporary artifact store, for running stage activities in a MockActivityEnvironment. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import type { ActivityDeps } from '../../../activities/deps.ts';
import type { StageInput, StageRequest, StageResult } from '../../../activities/types.ts';
import { ArtifactStore } from '../../../datasets/artifact-store.ts';
import type { ArtifactRef } from '../../../datasets/types.ts';
import type { PlanNode } from '../../../recipe/plan.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A temporary directory removed after the test. */
export async function tempDir(prefix = 'braise-stage-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Deps with a real store in a temp dir; lineage and progress are unused by data stages. */
export async function stageDeps(): Promise<ActivityDeps> {
  const home = await tempDir();
  return {
    store: new ArtifactStore(path.join(home, 'artifacts')),
    // Runs are unknown to it: ingest then applies the worker's own data roots (none here).
    lineage: { getRun: () => Promise.resolve(null) } as unknown as ActivityDeps['lineage'],
    config: { checkpointsRoot: path.join(home, 'checkpoints') } as ActivityDeps['config'],
    logger: pino({ level: 'silent' }),
    workflowUiUrl: (workflowId) => `http://localhost:8233/namespaces/test/workflows/${workflowId}`,
    reportProgress: () => Promise.resolve(),
    describeWorkflow: () => Promise.resolve(null),
  };
}

/** An input of kind `artifact.kind` produced by `node`. */
export function inputOf(node: string, port: string, artifact: ArtifactRef): StageInput {
  return { node, port, kind: artifact.kind, artifact };
}

/** A request for stage `id` of `kind` with resolved settings `settings`. */
export function stageRequest(id: string, kind: string, settings: Record<string, unknown>, inputs: StageInput[], seed = 5): StageRequest {
  const node: PlanNode = {
    id,
    kind,
    queue: 'braise-cpu',
    inputs: inputs.map(({ node, port, kind: k }) => ({ node, port, kind: k })),
    with: settings,
    context: { model: {}, seed },
    ports: {},
    fingerprint: 'test',
    implVersion: 'test',
    timeouts: { startToCloseMs: 60_000, heartbeatMs: null },
    retry: { maximumAttempts: 1 },
    onFailure: 'fail',
  };
  return { runId: 'run-1', workflowId: 'wf-1', node, inputs, cacheKey: 'k'.repeat(64) };
}

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** A mock activity environment that does not log (failures are asserted by the tests). */
export function mockEnv(): MockActivityEnvironment {
  return new MockActivityEnvironment(undefined, { logger: quiet });
}

/** Runs a stage activity in `env` (default: a fresh quiet one). */
export function runStage(activity: (req: StageRequest) => Promise<StageResult>, req: StageRequest, env: MockActivityEnvironment = mockEnv()): Promise<StageResult> {
  return env.run(activity, req) as Promise<StageResult>;
}
