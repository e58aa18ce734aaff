/** The dashboard's pure pieces: the DAG layout, the evaluation tables, lineage edges and chart groups. */
import { describe, expect, it } from 'vitest';
import { align } from '../../../dashboard/components/chart-data.ts';
import { curveGroups } from '../../../dashboard/curves.ts';
import { evaluationTables } from '../../../dashboard/evaluate.ts';
import { layered } from '../../../dashboard/layout.ts';
import { lineageGraph } from '../../../dashboard/lineage.ts';
import type { LineageEntry, RunView } from '../../../dashboard/schemas.ts';

describe('layered layout', () => {
  it('puts each node one column after its deepest input, rows in order', () => {
    const { placed, columns, rows } = layered([
      { id: 'web', inputs: [] },
      { id: 'code', inputs: [] },
      { id: 'clean', inputs: ['web'] },
      { id: 'base', inputs: ['clean', 'code'] },
      { id: 'eval', inputs: ['base', 'clean'] },
    ]);
    expect(placed).toEqual([
      { id: 'web', col: 0, row: 0 },
      { id: 'code', col: 0, row: 1 },
      { id: 'clean', col: 1, row: 0 },
      { id: 'base', col: 2, row: 0 },
      { id: 'eval', col: 3, row: 0 },
    ]);
    expect({ columns, rows }).toEqual({ columns: 4, rows: 2 });
  });

  it('takes fixed columns (lineage depth, negative upstream) and shifts them to start at 0', () => {
    const { placed } = layered([
      { id: 'a', inputs: [], column: -2 },
      { id: 'me', inputs: ['a'], column: 0 },
      { id: 'z', inputs: ['me'], column: 1 },
    ]);
    expect(placed.map((p) => p.col)).toEqual([0, 2, 3]);
  });

  it('ignores unknown inputs and survives a cycle', () => {
    expect(layered([{ id: 'a', inputs: ['ghost'] }]).placed).toEqual([{ id: 'a', col: 0, row: 0 }]);
    expect(layered([{ id: 'a', inputs: ['b'] }, { id: 'b', inputs: ['a'] }]).placed).toHaveLength(2);
  });
});

describe('evaluation tables', () => {
  it('models by task metric with stderr, and bits per byte by domain beside the baselines', () => {
    const tables = evaluationTables({
      'perplexity/news/bits_per_byte': 2.8,
      'perplexity/news/bits_per_byte_stderr': 0.05,
      'perplexity/lore/bits_per_byte': 2.7,
      'perplexity/mean/bits_per_byte': 2.75,
      'baseline/trigram/perplexity/news/bits_per_byte': 3.01,
      'arith/exact_match': 0.5,
      docs: 16,
    });
    expect(tables.map((t) => t.title)).toEqual(['By task', 'perplexity: bits per byte by domain']);
    expect(tables[0]!.header).toEqual(['model', 'perplexity bits_per_byte (mean)', 'arith exact_match']);
    expect(tables[0]!.rows[0]!.cells.map((c) => c.value)).toEqual([2.75, 0.5]);
    const byDomain = tables[1]!;
    expect(byDomain.header).toEqual(['domain', 'model', 'trigram']);
    expect(byDomain.rows.map((r) => r.label)).toEqual(['lore', 'news', 'mean']);
    expect(byDomain.rows[1]!.cells).toEqual([{ value: 2.8, stderr: 0.05 }, { value: 3.01, stderr: null }]);
  });

  it('is empty for a stage without evaluate metrics', () => {
    expect(evaluationTables({ docs: 3, 'train/loss': 1 })).toEqual([]);
  });
});

describe('curves', () => {
  const s = (stage: string, name: string, n = 2) => ({ stage, name, producedBy: { runId: 'r', stageId: stage }, points: Array.from({ length: n }, (_, i): [number, number] => [i + 1, i]) });
  it('groups loss, mixture and reward curves per stage, every other curve alone', () => {
    const groups = curveGroups([s('base', 'train/loss'), s('base', 'mixture/news'), s('base', 'mixture/lore'), s('rl', 'train/mean_reward'), s('rl', 'train/kl')]);
    expect(groups.map((g) => [g.key, g.series.length])).toEqual([
      ['base:loss', 1],
      ['base:mixture', 2],
      ['rl:reward', 1],
      ['rl:train/kl', 1],
    ]);
  });

  it('aligns lines of different steps on one x axis, null where a line has no point', () => {
    expect(align([{ label: 'a', points: [[1, 10], [3, 30]] }, { label: 'b', points: [[2, 20]] }])).toEqual([
      [1, 2, 3],
      [10, null, 30],
      [null, 20, null],
    ]);
  });
});

describe('lineage graph', () => {
  const art = (id: string, kind = 'dataset') => ({ id, kind, uri: `file:///${id}`, bytes: 1, meta: {}, createdAt: '2026-01-01T00:00:00Z' });
  const entry = (id: string, depth: number, stageId: string, kind = 'dataset'): LineageEntry => ({ artifact: art(id, kind), producedBy: { runId: 'r1', stageId, kind: 'x' }, depth });
  const stage = (id: string, outputs: string[], inputs: string[]) => ({ id, kind: 'x', status: 'completed', attempts: 1, durationMs: 1, outputs: outputs.map((a) => ({ port: 'p', artifactId: a, kind: 'dataset' })), metrics: {}, inputs });
  const view: RunView = { runId: 'r1', status: 'completed', temporalUiUrl: '', stages: [stage('web', ['d0'], []), stage('clean', ['kept', 'rejected'], ['web']), stage('base', ['model'], ['clean']), stage('eval', ['report'], ['base', 'clean'])] };

  it('draws the edges the producing stages read, not guesses by depth', () => {
    const nodes = lineageGraph('model', [entry('kept', 1, 'clean'), entry('d0', 2, 'web')], [entry('report', 1, 'eval', 'report')], new Map([['r1', view]]));
    const edges = Object.fromEntries(nodes.map((n) => [n.id, [n.column, n.inputs]]));
    expect(edges).toEqual({ model: [0, ['kept']], kept: [-1, ['d0']], d0: [-2, []], report: [1, ['model', 'kept']] });
  });
});
