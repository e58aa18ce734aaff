/**
 * A layered layout for small DAGs (a run's stages, an artifact's lineage; tens of nodes): each node's
 * column is its longest path from a source, rows follow the order given, then edges are cubic curves.
 * Hand-written because a recipe's DAG is small and shallow; a general layout library (dagre) would
 * add more code than this.
 */

export interface GraphNode {
  id: string;
  /** Ids of the nodes it reads (edges point from them to it); unknown ids are ignored. */
  inputs: readonly string[];
  /** A fixed column (e.g. lineage depth); otherwise the longest path from a source. */
  column?: number;
}

export interface Placed {
  id: string;
  col: number;
  row: number;
}

/** Column and row of every node; columns start at 0. A cycle (never in a plan) is cut where found. */
export function layered(nodes: readonly GraphNode[]): { placed: Placed[]; columns: number; rows: number } {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id);
    if (!n || visiting.has(id)) return -1;
    visiting.add(id);
    const d = n.column ?? Math.max(-1, ...n.inputs.map(depthOf)) + 1;
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const n of nodes) depthOf(n.id);
  const min = Math.min(0, ...depth.values());
  const rowsIn = new Map<number, number>();
  const placed = nodes.map((n) => {
    const col = (depth.get(n.id) ?? 0) - min;
    const row = rowsIn.get(col) ?? 0;
    rowsIn.set(col, row + 1);
    return { id: n.id, col, row };
  });
  return { placed, columns: Math.max(0, ...placed.map((p) => p.col)) + 1, rows: Math.max(0, ...rowsIn.values()) };
}
