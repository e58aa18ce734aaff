/**
 * Sweeps at compile time and the report: cells of a matrix with exclude and include (GitHub Actions' rules), every
 * cell compiled (a bad value in one cell is refused naming the cell, the path and the value's line), the sweep's own
 * references checked (the baseline names one cell); the report's table, best cell, each cell against the baseline and
 * regressions beyond the threshold.
 */
import { describe, expect, it } from 'vitest';
import { compileRecipe, expandSweep, parseRecipeText, RecipeError, type RecipeIssue } from '../../../recipe/index.ts';
import { buildSweepReport, regressed, type CellOutcome } from '../../../recipe/sweep-report.ts';
import { recipeSchema } from '../../../recipe/schema.ts';

const BASE = `apiVersion: braise/v1
name: grid
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [a] }
stages:
  - id: clean
    kind: filter
    inputs: [web]
  - id: base
    kind: pretrain
    inputs: [clean]
    with: { steps: 2, batchSize: 4 }
  - id: eval
    kind: evaluate
    inputs: [base]
`;

const sweepOf = (block: unknown) => recipeSchema.shape.sweep.unwrap().parse(block);

function refused(text: string): RecipeIssue[] {
  try {
    compileRecipe(parseRecipeText(text));
  } catch (err) {
    if (err instanceof RecipeError) return err.issues;
    throw err;
  }
  throw new Error('expected the recipe to be refused');
}

describe('sweep cells', () => {
  it('are every combination of the matrix, the first path varying slowest', () => {
    const { cells } = expandSweep(sweepOf({ matrix: { 'stages.base.with.lr': [1, 2], seed: [5, 6, 7] } }));
    expect(cells.map((c) => [c.values['stages.base.with.lr'], c.values.seed])).toEqual([[1, 5], [1, 6], [1, 7], [2, 5], [2, 6], [2, 7]]);
    expect(cells.map((c) => c.index)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('drop every combination an exclude entry matches in all its pairs, then add include entries as GitHub Actions does', () => {
    const { cells } = expandSweep(
      sweepOf({
        matrix: { 'stages.base.with.lr': [1, 2], seed: [5, 6] },
        exclude: [{ 'stages.base.with.lr': 2, seed: 6 }, { seed: 9 }],
        include: [
          // Agrees with the cells where lr is 1: extends them with a path the matrix lacks.
          { 'stages.base.with.lr': 1, 'stages.base.with.warmup': 3 },
          // Overwrites no matrix value of any cell: a cell of its own.
          { 'stages.base.with.lr': 4, seed: 5 },
        ],
      }),
    );
    expect(cells.map((c) => c.values)).toEqual([
      { 'stages.base.with.lr': 1, seed: 5, 'stages.base.with.warmup': 3 },
      { 'stages.base.with.lr': 1, seed: 6, 'stages.base.with.warmup': 3 },
      { 'stages.base.with.lr': 2, seed: 5 },
      { 'stages.base.with.lr': 4, seed: 5 },
    ]);
    expect(cells[0]!.origins['stages.base.with.warmup']).toEqual(['sweep', 'include', 0, 'stages.base.with.warmup']);
    expect(cells[2]!.origins.seed).toEqual(['sweep', 'matrix', 'seed', 0]);
  });

  it('are bounded, and there must be one', () => {
    const many = Array.from({ length: 9 }, (_, i) => i);
    expect(expandSweep(sweepOf({ matrix: { seed: many, 'model.layers': many } })).issues[0]!.message).toBe('the sweep has 81 cells, over the limit of 64');
    expect(expandSweep(sweepOf({ matrix: { seed: [1] }, exclude: [{ seed: 1 }] })).issues[0]!.path).toBe('sweep');
  });

  it('compile each to a plan of its own, and the parent holds them', () => {
    const plan = compileRecipe(parseRecipeText(`${BASE}sweep:\n  matrix:\n    stages.base.with.lr: [0.001, 0.003]\n    stages.base.with.steps: [2, 3]\n  compare: { metric: eval/perplexity/mean/bits_per_byte }\n`));
    expect(plan.nodes).toEqual([]);
    expect(plan.sweep!.cells).toHaveLength(4);
    expect(plan.sweep!.parallelism).toBe(2);
    expect(plan.sweep!.regressionThreshold).toBe(0.02);
    const base = plan.sweep!.cells.map((c) => c.plan.nodes.find((n) => n.id === 'base')!.with);
    expect(base.map((w) => [w.lr, w.steps])).toEqual([[0.001, 2], [0.001, 3], [0.003, 2], [0.003, 3]]);
    // The filter is the same in every cell: one cache key, so one execution.
    expect(new Set(plan.sweep!.cells.map((c) => c.plan.nodes.find((n) => n.id === 'clean')!.fingerprint)).size).toBe(1);
    expect(plan.sweep!.cells.every((c) => (c.plan.recipe as { sweep?: unknown }).sweep === undefined)).toBe(true);
  });

  it('refuse a bad value in one cell, naming the cell, the path and the line of the value', () => {
    const issues = refused(`${BASE}sweep:\n  matrix:\n    stages.base.with.steps: [2, -1]\n`);
    expect(issues).toEqual([
      { path: 'stages[1].with.steps', line: 19, column: 33, message: 'sweep cell 2 (stages.base.with.steps=-1): Too small: expected number to be >0' },
    ]);
  });

  it('report a problem every cell has once, as a recipe without a sweep would', () => {
    const issues = refused(`${BASE.replace('steps: 2,', 'steps: 0,')}sweep:\n  matrix:\n    seed: [1, 2]\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'stages[1].with.steps', line: 13 });
    expect(issues[0]!.message).not.toMatch(/cell/);
  });

  it('refuse paths and metrics that name what the recipe lacks', () => {
    const issues = refused(`${BASE}sweep:\n  matrix:\n    stages.bse.with.lr: [1]\n  compare: { metric: eval/perplexity/mean/bit_per_byte }\n`);
    expect(issues.map((i) => [i.path, i.line])).toEqual([['sweep.matrix', 19], ['sweep.compare.metric', 20]]);
    expect(issues[0]!.message).toBe('"stages.bse.with.lr": no stage "bse" in this recipe (did you mean "base"?) (stages: clean, base, eval)');
    expect(issues[1]!.message).toMatch(/^evaluate stage "eval" records no metric "perplexity\/mean\/bit_per_byte"/);
    expect(refused(`${BASE}sweep:\n  matrix: { seed: [1] }\n  compare: { metric: evl/x }\n`)[0]!.message).toMatch(/^no stage "evl" in this recipe \(did you mean "eval"\?\)/);
    expect(refused(`${BASE}sweep:\n  matrix: { seed: [1] }\n  parallelism: 0\n`)[0]!.path).toBe('sweep.parallelism');
  });

  it('take a baseline that names exactly one cell, by its values', () => {
    const grid = `${BASE}sweep:\n  matrix:\n    stages.base.with.lr: [0.001, 0.003]\n    seed: [1, 2]\n`;
    const compare = (baseline: string) => `  compare: { metric: eval/perplexity/mean/bits_per_byte, baseline: ${baseline} }\n`;
    const plan = compileRecipe(parseRecipeText(grid + compare('{ stages.base.with.lr: 0.003, seed: 1 }')));
    expect(plan.sweep!.compare).toEqual({ metric: 'eval/perplexity/mean/bits_per_byte', goal: 'minimize', baseline: 3 });
    const none = refused(grid + compare('{ stages.base.with.lr: 0.01 }'));
    expect(none).toEqual([{ path: 'sweep.compare.baseline', line: 21, column: expect.any(Number), message: 'no cell has these values: the baseline must name exactly one cell' }]);
    expect(refused(grid + compare('{ stages.base.with.lr: 0.001 }'))[0]!.message).toBe('2 cells have (1, 2) these values: the baseline must name exactly one cell');
  });
});

describe('sweep report', () => {
  const outcome = (index: number, lr: number, bpb: number | null, status: CellOutcome['status'] = 'completed'): CellOutcome => ({
    index,
    values: { 'stages.base.with.lr': lr },
    runId: `r-p-c${index}`,
    status,
    error: status === 'completed' ? null : 'stage "base" failed: boom',
    stages: [
      { id: 'clean', kind: 'filter', metrics: { kept: 10, rejected: 2, 'rejected/gopher': 2 } },
      { id: 'eval', kind: 'evaluate', metrics: bpb === null ? {} : { 'perplexity/mean/bits_per_byte': bpb, 'perplexity/mean/bits_per_byte_stderr': 0.01 } },
    ],
  });
  const sweep = { paths: ['stages.base.with.lr'], compare: { metric: 'eval/perplexity/mean/bits_per_byte', goal: 'minimize' as const }, regressionThreshold: 0.02 };
  const run = { runId: 'r-p', recipe: 'grid', schedule: 'nightly' };

  it('has a row per cell with its metric and headlines, and the best completed cell by the goal', () => {
    const r = buildSweepReport(run, sweep, [outcome(1, 1, 3.1), outcome(2, 2, 2.9), outcome(3, 3, 1.0, 'failed')], null);
    // The failed cell recorded a lower metric, but a failed cell is never the best.
    expect(r.cells.map((c) => c.metric)).toEqual([3.1, 2.9, 1.0]);
    expect(r.cells[0]!.headlines).toEqual({ 'clean/kept': 10, 'clean/rejected': 2, 'eval/perplexity/mean/bits_per_byte': 3.1 });
    expect(r.best).toEqual({ index: 2, runId: 'r-p-c2', values: { 'stages.base.with.lr': 2 }, metric: 2.9 });
    expect(buildSweepReport(run, { ...sweep, compare: { ...sweep.compare, goal: 'maximize' } }, [outcome(1, 1, 3.1), outcome(2, 2, 2.9)], null).best!.index).toBe(1);
    expect(r.regressions).toBeNull();
  });

  it('lists the cells worse than in the previous report by more than the threshold, matched by their values', () => {
    const before = buildSweepReport({ ...run, runId: 'r-o' }, sweep, [outcome(1, 2, 3.0), outcome(2, 1, 3.0), outcome(3, 3, 3.0)], null);
    // Cells in another order this time: lr 1 got 1% worse (within 2%), lr 2 got 5% worse, lr 3 failed.
    const now = buildSweepReport(run, sweep, [outcome(1, 1, 3.03), outcome(2, 2, 3.15), outcome(3, 3, null, 'failed')], { runId: 'r-o', artifactId: 'a'.repeat(64), report: before });
    expect(now.previous).toEqual({ runId: 'r-o', artifactId: 'a'.repeat(64) });
    expect(now.regressions!.map((x) => [x.index, x.previous, x.metric])).toEqual([[2, 3.0, 3.15], [3, 3.0, null]]);
    expect(now.regressions![0]!.change).toBeCloseTo(0.05, 10);
  });

  it("measures every cell against the baseline cell's metric, by the goal", () => {
    const withBaseline = { ...sweep, compare: { ...sweep.compare, baseline: 2 } };
    const r = buildSweepReport(run, withBaseline, [outcome(1, 1, 3.3), outcome(2, 2, 3.0), outcome(3, 3, 2.7), outcome(4, 4, null, 'failed')], null);
    expect(r.baseline).toEqual({ index: 2, runId: 'r-p-c2', values: { 'stages.base.with.lr': 2 }, metric: 3.0 });
    expect(r.cells.map((c) => c.beatsBaseline)).toEqual([false, null, true, null]);
    expect(r.cells[0]!.vsBaseline).toBeCloseTo(0.1, 10);
    expect(r.cells[2]!.vsBaseline).toBeCloseTo(-0.1, 10);
    const up = buildSweepReport(run, { ...withBaseline, compare: { ...withBaseline.compare, goal: 'maximize' } }, [outcome(1, 1, 3.3), outcome(2, 2, 3.0)], null);
    expect(up.cells[0]!.beatsBaseline).toBe(true);
    expect(buildSweepReport(run, sweep, [outcome(1, 1, 3.3)], null).baseline).toBeNull();
  });

  it('judges a regression by the goal and a relative threshold', () => {
    expect(regressed(3.07, 3.0, 'minimize', 0.02)).toBe(true);
    expect(regressed(3.05, 3.0, 'minimize', 0.02)).toBe(false);
    expect(regressed(2.9, 3.0, 'minimize', 0.02)).toBe(false);
    expect(regressed(0.5, 0.6, 'maximize', 0.1)).toBe(true);
    expect(regressed(0.55, 0.6, 'maximize', 0.1)).toBe(false);
    // From 0 the change is absolute.
    expect(regressed(0.01, 0, 'minimize', 0.02)).toBe(false);
  });
});
