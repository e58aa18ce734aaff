/**
 * The training bench's table: the median round it reports, tokens/s and the ratio to the PyTorch rows of
 * the same model, the reasons shown for backends that did not run, and the parameter check that says
 * whether the PyTorch model is the same architecture. Synthetic timings only: nothing here is timed.
 */
import { describe, expect, it } from 'vitest';
import {
  architectureMismatch,
  BENCH_MODELS,
  formatRatio,
  formatTokens,
  medianRound,
  stepFlops,
  tokensPerSecond,
  trainingTable,
  type ModelResult,
} from '../../../bench/training-format.ts';
import { paramSpecs } from '../../../ml/gpt.ts';

const small = BENCH_MODELS[0]!;
const rounds = (...walls: number[]) => walls.map((wallSec) => ({ wallSec, cpuSec: wallSec / 2 }));

describe('medianRound and tokensPerSecond', () => {
  it('take the round of median wall time, so one slow round does not move the figure', () => {
    expect(medianRound(rounds(3, 1, 2)).wallSec).toBe(2);
    expect(medianRound(rounds(1, 100, 2)).wallSec).toBe(2);
    expect(medianRound(rounds(4, 1)).wallSec).toBe(1);
    expect(() => medianRound([])).toThrow(/no rounds/);
  });

  it('count B·T tokens per step over the steps of a round', () => {
    // 16 × 64 tokens a step, 20 steps in the median round of 2 s.
    expect(tokensPerSecond(small, 20, rounds(2, 2.5, 1.5))).toBe((16 * 64 * 20) / 2);
  });
});

describe('formatting', () => {
  it('prints tokens/s compactly and ratios with the multiplication sign', () => {
    expect(formatTokens(416)).toBe('416');
    expect(formatTokens(7812)).toBe('7.81k');
    expect(formatTokens(71234)).toBe('71.2k');
    expect(formatTokens(1_250_000)).toBe('1.25M');
    expect(formatRatio(0.0812)).toBe('0.081×');
    expect(formatRatio(0.5)).toBe('0.50×');
    expect(formatRatio(1)).toBe('1.00×');
    expect(formatRatio(2.345)).toBe('2.35×');
  });
});

describe('trainingTable', () => {
  const params = 120640;
  const result: ModelResult = {
    model: small,
    params,
    rows: [
      { label: 'PyTorch 2.15.0 CPU', anchor: 'torch1', threads: '1', params, firstLoss: 5.55, loss: 3.2, steps: 20, rounds: rounds(1, 1, 1) },
      { label: 'PyTorch 2.15.0 CPU', anchor: 'torchN', threads: '2', params, firstLoss: 5.5501, loss: 3.2, steps: 20, rounds: rounds(0.5, 0.5, 0.5) },
      { label: 'Braise tensorflow', reason: 'not set up: backend tensorflow could not be initialised' },
      { label: 'Braise wasm', threads: '1', params, firstLoss: 5.55002, loss: 3.20001, steps: 20, rounds: rounds(10, 4, 5) },
    ],
  };
  const rows = trainingTable([result]);

  it('gives each row its ratio to both PyTorch rows of the same run', () => {
    expect(rows[0]).toEqual(['MODEL', 'IMPLEMENTATION', 'PARAMS', 'LOSS FIRST→LAST', 'THREADS', 'TIMED STEPS', 'S/STEP', 'CPU/WALL', 'TOK/CPU-S', 'TOK/S', '× PYTORCH 1T', '× PYTORCH ALL']);
    const wasm = rows.find((r) => r[1] === 'Braise wasm')!;
    // Median round 5 s (2.5 CPU s) for 20 steps: 0.25 s a step, 4096 tok/s, 8192 tok per CPU second;
    // PyTorch 20480 tok/s (1 thread) and 40960 (all cores).
    expect(wasm).toEqual(['', 'Braise wasm', '120640', '5.55002→3.20001', '1', '3×20', '0.250', '0.50', '8.19k', '4.10k', '0.20×', '0.10×']);
    expect(rows[1]!.slice(0, 3)).toEqual([small.name, 'PyTorch 2.15.0 CPU', '120640']);
    expect(rows[1]!.slice(-2)).toEqual(['1.00×', '0.50×']);
  });

  it('shows why a backend has no figures instead of a number', () => {
    const native = rows.find((r) => r[1] === 'Braise tensorflow')!;
    expect(native.at(-1)).toBe('not set up: backend tensorflow could not be initialised');
    expect(native).toHaveLength(rows[0]!.length); // last column: it widens none of the others
    expect(native.slice(3, -1).every((c) => c === '-')).toBe(true);
  });

  it('leaves the ratios blank when PyTorch did not run', () => {
    const noTorch = trainingTable([{ ...result, rows: [{ label: 'PyTorch CPU', anchor: 'torch1', reason: 'not set up: pip failed' }, result.rows[3]!] }]);
    expect(noTorch[2]!.slice(-2)).toEqual(['-', '-']);
  });

  it('flags a PyTorch model whose parameter count or initial loss differs from Braise', () => {
    expect(architectureMismatch([result])).toBeNull(); // 5.55 vs 5.5501: within float32 rounding
    const torch = (over: { params?: number; firstLoss?: number }): ModelResult => ({
      ...result,
      rows: [
        { label: 'Braise wasm', threads: '1', params, firstLoss: 5.55, loss: 3.2, steps: 20, rounds: rounds(1) },
        { label: 'PyTorch 2.15.0 CPU', anchor: 'torch1', threads: '1', params: over.params ?? params, firstLoss: over.firstLoss ?? 5.55, loss: 3.2, steps: 20, rounds: rounds(1) },
      ],
    });
    expect(architectureMismatch([torch({ params: params + 64 })])).toBe(`${small.name}: PyTorch 2.15.0 CPU has ${params + 64} parameters, Braise's model ${params}`);
    expect(trainingTable([torch({ params: params + 64 })])[2]![2]).toBe(`${params + 64} (≠ ${params}!)`);
    expect(architectureMismatch([torch({ firstLoss: 5.6 })])).toMatch(/PyTorch 2\.15\.0 CPU starts at loss 5\.6 from the same weights, Braise wasm at 5\.55/);
  });
});

describe('the bench models', () => {
  it('are the two models of issue 10, with the parameter counts the PyTorch side must reproduce', () => {
    const count = (i: number) => {
      const m = BENCH_MODELS[i]!;
      return paramSpecs({ arch: 'gpt', tokenizer: 'byte', layers: m.layers, dModel: m.dModel, heads: m.heads, context: m.context })
        .reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    };
    // wte 257·d + wpe T·d + L·(12d² + 13d) + 2d (final LayerNorm), the head tied to wte.
    expect(count(0)).toBe(257 * 64 + 64 * 64 + 2 * (12 * 64 * 64 + 13 * 64) + 2 * 64);
    expect(count(1)).toBe(257 * 256 + 256 * 256 + 4 * (12 * 256 * 256 + 13 * 256) + 2 * 256);
    expect(BENCH_MODELS.map((m) => m.batch)).toEqual([16, 16]);
    // The larger model costs ~100× the smaller one a step: the basis of the plain-JS time estimate.
    expect(stepFlops(BENCH_MODELS[1]!) / stepFlops(small)).toBeGreaterThan(50);
  });
});
