/**
 * The training table of `npm run bench -- training`, kept apart from the processes that measure it so
 * its arithmetic (median round, tokens/s, the ratio to PyTorch measured in the same run) and its
 * layout are unit-tested (test/unit/bench/training-table.test.ts) without timing anything.
 */
import { z } from 'zod';

/** How a row is timed: `warmup` steps untimed, then `rounds` rounds of `steps` steps, each round timed apart. */
export interface Schedule {
  warmup: number;
  rounds: number;
  steps: number;
}

/** The two models of issue 10 (same parameter count on both sides, tied head, GELU, AdamW, B = 16). */
export interface BenchModel {
  name: string;
  layers: number;
  dModel: number;
  heads: number;
  context: number;
  batch: number;
  schedule: Schedule;
}

export const BENCH_MODELS: readonly BenchModel[] = [
  { name: '2 layers, d 64, T 64', layers: 2, dModel: 64, heads: 4, context: 64, batch: 16, schedule: { warmup: 3, rounds: 3, steps: 20 } },
  { name: '4 layers, d 256, 8 heads, T 256', layers: 4, dModel: 256, heads: 8, context: 256, batch: 16, schedule: { warmup: 2, rounds: 3, steps: 2 } },
];

/**
 * The plain-JS `cpu` backend is some 20× slower than WASM (seconds a step on the small model), so it
 * gets a shorter schedule, and a model whose estimated time (from its small-model step and the FLOPs
 * ratio) exceeds the budget is skipped with that estimate as the stated reason.
 */
export const PLAIN_JS_SCHEDULE: Schedule = { warmup: 1, rounds: 3, steps: 2 };
export const PLAIN_JS_BUDGET_SEC = 120;

export const BRAISE_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BraiseBackend = (typeof BRAISE_BACKENDS)[number];

const count = z.number().int().nonnegative();
const roundSchema = z.strictObject({ wallSec: z.number().positive(), cpuSec: z.number().nonnegative() });
export type Round = z.infer<typeof roundSchema>;

/** What bench/training-braise.ts is asked to run (its argv[2]). */
export const trainingJobSchema = z.strictObject({
  backend: z.enum(BRAISE_BACKENDS),
  layers: count,
  dModel: count,
  heads: count,
  context: count,
  batch: count,
  warmup: count.min(1),
  rounds: count.min(1),
  steps: count.min(1),
});
export type TrainingJob = z.infer<typeof trainingJobSchema>;

/** What bench/training-braise.ts prints: its timings, or why the backend could not be selected. */
export const braiseResultSchema = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), backend: z.string(), threads: z.string(), params: count, rounds: z.array(roundSchema).min(1), firstLoss: z.number(), loss: z.number() }),
  z.strictObject({ ok: z.literal(false), reason: z.string() }),
]);
export type BraiseResult = z.infer<typeof braiseResultSchema>;

/** What bench/torch_train_bench.py prints. */
export const torchResultSchema = z.object({
  params: count,
  threads: count,
  rounds: z.array(roundSchema).min(1),
  firstLoss: z.number(),
  loss: z.number(),
  torch: z.string(),
});
export type TorchResult = z.infer<typeof torchResultSchema>;

/** One row of the table: an implementation measured on a model, or the reason it was not. */
export type TrainingRow =
  | { label: string; anchor?: 'torch1' | 'torchN'; threads: string; params: number; firstLoss: number; loss: number; steps: number; rounds: Round[] }
  | { label: string; anchor?: 'torch1' | 'torchN'; reason: string };

export interface ModelResult {
  model: BenchModel;
  /** Braise's own count of the model's parameters (ml/gpt.ts paramSpecs). */
  params: number;
  rows: TrainingRow[];
}

/** The round of median wall time (the lower middle one for an even count): robust to a noisy neighbour. */
export function medianRound(rounds: readonly Round[]): Round {
  if (rounds.length === 0) throw new Error('medianRound: no rounds');
  const sorted = [...rounds].sort((a, b) => a.wallSec - b.wallSec);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Tokens per second of the median round: B·T tokens a step, `steps` steps a round. */
export function tokensPerSecond(model: BenchModel, steps: number, rounds: readonly Round[]): number {
  return (model.batch * model.context * steps) / medianRound(rounds).wallSec;
}

/**
 * Approximate FLOPs of one training step (forward + backward ≈ 3× forward): 6 per matmul weight per
 * token (12·L·d² in the blocks, V·d in the tied head) plus attention's 12·L·T·d per token. Used only
 * to estimate how long a slow backend would take on the larger model before running it.
 */
export function stepFlops(m: BenchModel): number {
  const tokens = m.batch * m.context;
  return 6 * tokens * (12 * m.layers * m.dModel ** 2 + 257 * m.dModel) + 12 * m.layers * tokens * m.context * m.dModel;
}

/** `12.3k`, `416`, `1.25M`. */
export function formatTokens(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)}k`;
  return n.toFixed(0);
}

/** A ratio to the anchor, `0.31×`; two significant digits below 1. */
export function formatRatio(r: number): string {
  return `${r >= 1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

const measured = (r: TrainingRow): r is Extract<TrainingRow, { rounds: Round[] }> => 'rounds' in r;

/**
 * The table's rows, header first: per model and implementation the parameter count (each side's own,
 * so a reader sees they match), the loss of the first step (from the same initial weights on the same
 * batch: equal on every row when the implementations compute the same function) and of the last (equal
 * too where the step counts are: the same gradients, clipping and AdamW update), threads, the steps timed, seconds per step and CPU seconds per wall
 * second of the median round, tokens per CPU second (what a single-threaded row would do on a core of
 * its own, whatever else shares the machine), tokens/s, and the ratio to each PyTorch row of the same
 * model. A row that did not run shows its reason in the last column.
 */
export function trainingTable(results: readonly ModelResult[]): string[][] {
  const header = ['MODEL', 'IMPLEMENTATION', 'PARAMS', 'LOSS FIRST→LAST', 'THREADS', 'TIMED STEPS', 'S/STEP', 'CPU/WALL', 'TOK/CPU-S', 'TOK/S', '× PYTORCH 1T', '× PYTORCH ALL'];
  const rows = [header];
  for (const { model, params, rows: impls } of results) {
    const anchor = (which: 'torch1' | 'torchN'): number | null => {
      const r = impls.find((i) => i.anchor === which);
      return r !== undefined && measured(r) ? tokensPerSecond(model, r.steps, r.rounds) : null;
    };
    const [a1, aN] = [anchor('torch1'), anchor('torchN')];
    for (const [i, r] of impls.entries()) {
      const name = i === 0 ? model.name : '';
      if (!measured(r)) {
        // The reason goes last, where it widens no column.
        rows.push([name, r.label, String(params), ...header.slice(3, -1).map(() => '-'), r.reason]);
        continue;
      }
      const m = medianRound(r.rounds);
      const tps = tokensPerSecond(model, r.steps, r.rounds);
      const paramCell = r.params === params ? String(r.params) : `${r.params} (≠ ${params}!)`;
      rows.push([
        name,
        r.label,
        paramCell,
        `${r.firstLoss.toFixed(5)}→${r.loss.toFixed(5)}`,
        r.threads,
        `${r.rounds.length}×${r.steps}`,
        (m.wallSec / r.steps).toFixed(3),
        (m.cpuSec / m.wallSec).toFixed(2),
        m.cpuSec > 0 ? formatTokens((model.batch * model.context * r.steps) / m.cpuSec) : '-',
        formatTokens(tps),
        a1 === null ? '-' : formatRatio(tps / a1),
        aN === null ? '-' : formatRatio(tps / aN),
      ]);
    }
  }
  return rows;
}

/** Relative difference in the initial loss that still counts as the same function (float32 rounding, summation order). */
export const LOSS_TOLERANCE = 1e-4;

/**
 * Why the rows of a model are not the same architecture, or null when they are: every measured row must
 * count Braise's parameters and, from the same initial weights, give the same first loss.
 */
export function architectureMismatch(results: readonly ModelResult[]): string | null {
  for (const { model, params, rows } of results) {
    const runs = rows.filter(measured);
    const ref = runs[0];
    for (const r of runs) {
      if (r.params !== params) return `${model.name}: ${r.label} has ${r.params} parameters, Braise's model ${params}`;
      if (ref && Math.abs(r.firstLoss - ref.firstLoss) > LOSS_TOLERANCE * Math.abs(ref.firstLoss)) {
        return `${model.name}: ${r.label} starts at loss ${r.firstLoss} from the same weights, ${ref.label} at ${ref.firstLoss}`;
      }
    }
  }
  return null;
}
