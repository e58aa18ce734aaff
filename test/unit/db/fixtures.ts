/** Small builders for lineage tests: content-addressed ids, runs, and whole stage attempts. */
import { createHash } from 'node:crypto';
import type { FinishStepInput, LineageStore } from '../../../infra/db/lineage.ts';
import type { ArtifactKind } from '../../../infra/db/schema.ts';

/** Starting PGlite (WASM) and migrating takes seconds on a busy 2-core machine. */
export const OPEN_TIMEOUT_MS = 60_000;

/** A sha256 hex id, as the artifact store derives from content. */
export function sha(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

export async function seedRun(store: LineageStore, id: string, recipeName = 'tulu3-mini'): Promise<void> {
  await store.upsertRun({
    id,
    workflowId: `wf-${id}`,
    recipeName,
    recipeHash: sha(recipeName),
    plan: { stages: [] },
    options: {},
    status: 'running',
  });
}

export interface StageRun {
  runId: string;
  stageId: string;
  kind: string;
  attempt?: number;
  cacheKey?: string;
  status?: FinishStepInput['status'];
  /** port → artifact id */
  inputs?: Record<string, string>;
  /** port → [artifact id, kind]; recorded as artifacts before the step finishes. */
  outputs?: Record<string, [string, ArtifactKind]>;
  metrics?: Record<string, number>;
}

/** beginStep + recordArtifact for each output + finishStep, as the workflow's activities do. Returns the step id. */
export async function runStage(store: LineageStore, s: StageRun): Promise<string> {
  const attempt = s.attempt ?? 1;
  const cacheKey = s.cacheKey ?? sha(`${s.kind}:${s.stageId}:${JSON.stringify(s.inputs ?? {})}`);
  const stepId = await store.beginStep({ runId: s.runId, stageId: s.stageId, kind: s.kind, attempt, cacheKey, queue: 'braise-cpu' });
  const outputs = Object.entries(s.outputs ?? {});
  for (const [port, [id, kind]] of outputs) {
    await store.recordArtifact({ id, kind, uri: `file:///artifacts/${id}`, bytes: 100 + port.length, meta: { port } });
  }
  await store.finishStep({
    runId: s.runId,
    stageId: s.stageId,
    attempt,
    status: s.status ?? 'completed',
    inputs: Object.entries(s.inputs ?? {}).map(([port, artifactId]) => ({ port, artifactId })),
    outputs: outputs.map(([port, [artifactId]]) => ({ port, artifactId })),
    ...(s.metrics ? { metrics: s.metrics } : {}),
  });
  return stepId;
}
