/**
 * An artifact's lineage as a graph. The API's walk gives each artifact reached and the stage that made
 * it; the edges come from the producing runs' views: an artifact made by stage S came from the outputs
 * of the stages S reads (`inputs`), so the graph shows real edges, not guesses from depth.
 */
import type { LineageEntry, RunView } from './schemas.ts';

export interface LineageNode {
  id: string;
  entry: LineageEntry | null;
  /** Negative upstream, 0 the artifact itself, positive downstream. */
  column: number;
  inputs: string[];
}

/** Nodes with their input artifacts, among those in the graph; `views` by run id (missing ones: no edges). */
export function lineageGraph(startId: string, upstream: readonly LineageEntry[], downstream: readonly LineageEntry[], views: ReadonlyMap<string, RunView>): LineageNode[] {
  const nodes = new Map<string, LineageNode>();
  const start: LineageNode = { id: startId, entry: null, column: 0, inputs: [] };
  nodes.set(startId, start);
  for (const e of upstream) nodes.set(e.artifact.id, { id: e.artifact.id, entry: e, column: -e.depth, inputs: [] });
  for (const e of downstream) if (!nodes.has(e.artifact.id)) nodes.set(e.artifact.id, { id: e.artifact.id, entry: e, column: e.depth, inputs: [] });
  // The walk up answers the artifact's own inputs directly: those one step away.
  start.inputs = upstream.filter((e) => e.depth === 1).map((e) => e.artifact.id);
  return [...nodes.values()].map((n) => (n.entry ? { ...n, inputs: inputsOf(n, n.entry.producedBy, nodes, views) } : n));
}

function inputsOf(n: LineageNode, producer: LineageEntry['producedBy'], nodes: ReadonlyMap<string, LineageNode>, views: ReadonlyMap<string, RunView>): string[] {
  if (!producer) return [];
  const view = views.get(producer.runId);
  const stage = view?.stages.find((s) => s.id === producer.stageId);
  if (!view || !stage) return [];
  const artifacts = (stage.inputs ?? []).flatMap((i) => view.stages.find((s) => s.id === i)?.outputs.map((o) => o.artifactId) ?? []);
  return [...new Set(artifacts)].filter((a) => a !== n.id && nodes.has(a));
}
