/**
 * Control-plane activities (`braise-control`): run records, cache look-ups and
 * lineage writes. Every write is idempotent, so a retried activity never
 * duplicates a row. They run as local activities of the interpreter workflow,
 * so several may run at once: a step's writes record every artifact its edges
 * name (its inputs too), and depend on no other step's writes.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps.ts';
import type { PlanNode } from '../../recipe/plan.ts';
import type { StageClaim } from '../../service/lineage.ts';
import type { ControlActivities, PreparedCached, StageInput, StageOwner, StageResult } from '../types.ts';
import { cacheKeyFor } from './cache-key.ts';

export function createControlActivities(deps: ActivityDeps): ControlActivities {
  const { lineage, store } = deps;

  /**
   * The cached outputs for `cacheKey`, recorded as this step (status `cached`); null when there are none to reuse.
   * `inputsRecorded`: every input artifact is known to be in lineage already (each is a cached output found by an
   * earlier look-up, which reads the artifact rows), so recording them again would change nothing.
   */
  async function takeCached(
    runId: string,
    node: PlanNode,
    inputs: StageInput[],
    attempt: number,
    cacheKey: string,
    inputsRecorded = false,
  ): Promise<StageResult | null> {
    const hit = await lineage.findCachedOutputs(cacheKey);
    // Reuse only if every artifact is still in the store (a wiped store must recompute).
    if (!hit || !(await Promise.all(hit.outputs.map((o) => store.has(o.artifact.id)))).every(Boolean)) return null;
    // In the node's port order, as a fresh run returns them.
    const portOrder = Object.keys(node.ports);
    const outputs = [...hit.outputs].sort((a, b) => portOrder.indexOf(a.port) - portOrder.indexOf(b.port));
    const cached: StageResult = {
      outputs: await Promise.all(outputs.map(async (o) => ({ port: o.port, artifact: await store.get(o.artifact.id) }))),
      metrics: hit.metrics,
      producedBy: { runId: hit.runId, stageId: hit.stageId },
    };
    await lineage.beginStep({ runId, stageId: node.id, kind: node.kind, attempt, cacheKey, queue: node.queue });
    // The outputs are recorded: the hit found them.
    if (!inputsRecorded) for (const i of inputs) await lineage.recordArtifact(i.artifact);
    await lineage.finishStep({
      runId,
      stageId: node.id,
      attempt,
      status: 'cached',
      inputs: inputs.map((i) => ({ port: `${i.node}.${i.port}`, artifactId: i.artifact.id })),
      outputs: cached.outputs.map((o) => ({ port: o.port, artifactId: o.artifact.id })),
      metrics: cached.metrics,
      durationMs: 0,
      cachedFrom: hit.stepId,
    });
    return cached;
  }

  /**
   * Claims `cacheKey` for `me` (single flight). Returns null when `me` holds the claim, or the run and stage that do.
   * A claim whose owner workflow has closed (cancelled, terminated, failed without releasing it) is taken over: of the
   * waiters that find it so, the one whose conditional update lands first wins.
   */
  async function claim(cacheKey: string, me: StageClaim): Promise<StageOwner | null> {
    for (;;) {
      const holder = await lineage.claimStage(cacheKey, me);
      if (holder.runId === me.runId && holder.stageId === me.stageId) return null;
      if ((await deps.describeWorkflow(holder.workflowId))?.running) return { runId: holder.runId, stageId: holder.stageId };
      if (await lineage.takeOverStageClaim(cacheKey, holder, me)) return null;
    }
  }

  return {
    async startRun({ runId, workflowId, plan, options, resumedFrom }) {
      await lineage.upsertRun({
        id: runId,
        workflowId,
        recipeName: plan.name,
        recipeHash: plan.recipeHash,
        plan,
        options,
        status: 'running',
        resumedFrom,
        temporalUiUrl: deps.workflowUiUrl(workflowId),
      });
    },

    async prepareStep({ runId, node, inputs, attempt, noCache, claim: claimFor }) {
      const cacheKey = await cacheKeyFor(node, inputs);
      const cached = noCache ? null : await takeCached(runId, node, inputs, attempt, cacheKey);
      if (cached) return { cacheKey, cached };
      if (noCache || !claimFor) {
        await lineage.beginStep({ runId, stageId: node.id, kind: node.kind, attempt, cacheKey, queue: node.queue });
        return { cacheKey, cached: null };
      }
      const claimedBy = await claim(cacheKey, { runId, workflowId: claimFor.workflowId, stageId: node.id });
      if (!claimedBy) {
        // The run that held it may have recorded its outputs between the look-up above and the claim.
        const late = await takeCached(runId, node, inputs, attempt, cacheKey);
        if (late) {
          await lineage.releaseStageClaim(cacheKey, runId, node.id);
          return { cacheKey, cached: late, claimedBy: null };
        }
      }
      await lineage.beginStep({ runId, stageId: node.id, kind: node.kind, attempt, cacheKey, queue: node.queue });
      return { cacheKey, cached: null, claimedBy };
    },

    async prepareCached({ runId, nodes }) {
      const found = new Map<string, StageResult>();
      const out: PreparedCached[] = [];
      for (const node of nodes) {
        // Wired as the workflow wires a stage's inputs: the named port of each upstream stage's outputs.
        const inputs: StageInput[] = [];
        for (const i of node.inputs) {
          const artifact = found.get(i.node)?.outputs.find((o) => o.port === i.port)?.artifact;
          if (artifact) inputs.push({ ...i, artifact });
        }
        if (inputs.length !== node.inputs.length) continue;
        const cacheKey = await cacheKeyFor(node, inputs);
        // Every input is an output of a stage found above.
        const cached = await takeCached(runId, node, inputs, 1, cacheKey, true);
        if (!cached) continue;
        found.set(node.id, cached);
        out.push({ nodeId: node.id, inputs, cacheKey, cached });
      }
      return out;
    },

    async completeStep({ runId, node, attempt, inputs, status, result, error, durationMs, releaseClaim }) {
      for (const a of [...inputs.map((i) => i.artifact), ...(result?.outputs ?? []).map((o) => o.artifact)]) await lineage.recordArtifact(a);
      await lineage.finishStep({
        runId,
        stageId: node.id,
        attempt,
        status,
        inputs: inputs.map((i) => ({ port: `${i.node}.${i.port}`, artifactId: i.artifact.id })),
        outputs: (result?.outputs ?? []).map((o) => ({ port: o.port, artifactId: o.artifact.id })),
        metrics: result?.metrics,
        durationMs,
        error,
      });
      // Completed: the cache answers waiters from now on. Failed: a waiter takes the stage over (this run may pause).
      if (releaseClaim) await lineage.releaseStageClaim(releaseClaim, runId, node.id);
    },

    async setRunStatus({ runId, status, error }) {
      try {
        await lineage.setRunStatus(runId, status, error ?? null);
      } catch (err) {
        // No such run (a workflow started without its lineage row): retrying cannot help.
        if ((await lineage.getRun(runId).catch(() => undefined)) === null) throw ApplicationFailure.nonRetryable(`no run "${runId}" in lineage`, 'BraiseNoSuchRun');
        throw err;
      }
    },
  };
}
