/** A small DAG as SVG, laid out in layers (layout.ts): a run's stages, an artifact's lineage. */
import { layered, type GraphNode } from '../layout.ts';

export interface DrawnNode extends GraphNode {
  title: string;
  subtitle: string;
  /** The CSS class that colors it (a status, or an artifact kind). */
  tone: string;
  href?: string;
  /** Drawn with a heavier border (the artifact the page is about). */
  focus?: boolean;
}

const W = 170;
const H = 46;
const GAP_X = 56;
const GAP_Y = 14;

export function Graph({ nodes, label }: { nodes: readonly DrawnNode[]; label: string }) {
  const { placed, columns, rows } = layered(nodes);
  const pos = new Map(placed.map((p) => [p.id, { x: 8 + p.col * (W + GAP_X), y: 8 + p.row * (H + GAP_Y) }]));
  const width = 16 + columns * W + (columns - 1) * GAP_X;
  const height = 16 + rows * H + (rows - 1) * GAP_Y;
  const edges = nodes.flatMap((n) =>
    n.inputs.flatMap((from) => {
      const a = pos.get(from);
      const b = pos.get(n.id);
      if (!a || !b) return [];
      const x1 = a.x + W;
      const y1 = a.y + H / 2;
      const x2 = b.x;
      const y2 = b.y + H / 2;
      const mid = (x1 + x2) / 2;
      return [<path key={`${from}->${n.id}`} class="edge" d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`} marker-end="url(#arrow)" />];
    }),
  );
  return (
    <svg class="graph" role="img" aria-label={label} width={width} height={height} viewBox={`0 0 ${width} ${height}`}>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
        </marker>
      </defs>
      {edges}
      {nodes.map((n) => {
        const p = pos.get(n.id)!;
        const body = (
          <g class={`node tone-${n.tone}${n.focus ? ' focus' : ''}`} data-node={n.id} transform={`translate(${p.x},${p.y})`}>
            <title>{`${n.title} — ${n.subtitle}`}</title>
            <rect width={W} height={H} rx="6" />
            <text x="10" y="19" class="node-title">{clip(n.title, 22)}</text>
            <text x="10" y="36" class="node-sub">{clip(n.subtitle, 26)}</text>
          </g>
        );
        return n.href ? <a key={n.id} href={n.href}>{body}</a> : <g key={n.id}>{body}</g>;
      })}
    </svg>
  );
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
