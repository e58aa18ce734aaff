/**
 * The defining properties of each merge method on tiny models (ISSUE 11): slerp's ends are its inputs, TIES
 * with density 1 on one model is task arithmetic, a linear merge of identical models is that model, DARE with
 * density 1 is the identity; mergekit's normalization defaults; DARE's seeded masks keep about `density` of
 * the entries and, rescaled, preserve the task vector in expectation; models that do not fit together are
 * refused naming the tensor; a merged model directory loads like a pretrain model.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelDir, saveModel } from '../../../ml/checkpoint.ts';
import type { ModelConfig } from '../../../ml/config.ts';
import { paramSpecs } from '../../../ml/gpt.ts';
import { assertSameArchitecture, loadModelTensors, mergeTensors, seededMasks, writeMergedModel, type LoadedModel } from '../../../ml/merge/merge-models.ts';
import { linear, slerp, taskArithmetic, type TaskArithmeticOptions } from '../../../ml/merge/methods.ts';
import { hashSeed, mulberry32 } from '../../../ml/random.ts';
import { byteTokenizer } from '../../../ml/tokenizer.ts';
import { mergeSettings } from '../../../recipe/stages/merge.ts';

function randn(n: number, seed: number, scale = 1): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
}
const plus = (a: Float32Array, b: Float32Array) => a.map((x, j) => x + b[j]!);
const TA: TaskArithmeticOptions = { sparsify: { kind: 'none' }, signConsensus: false, normalize: false, lambda: 1 };

describe('defining properties', () => {
  const a = randn(300, 1);
  const b = randn(300, 2);

  it('slerp at t=0 returns the first model and at t=1 the second, exactly (also when nearly collinear)', () => {
    expect(slerp(0, a, b)).toEqual(a);
    expect(slerp(1, a, b)).toEqual(b);
    const near = a.map((x) => x * 1.0001);
    expect(slerp(0, a, near)).toEqual(a);
    expect(slerp(1, a, near)).toEqual(near);
    // In between, the result is neither end.
    expect(slerp(0.5, a, b)).not.toEqual(a);
  });

  it('ties with density 1 on one model equals task arithmetic', () => {
    const base = randn(300, 3);
    const tuned = plus(base, randn(300, 4, 0.1));
    for (const lambda of [1, 0.7]) {
      const ties = taskArithmetic(base, [tuned], [1], { sparsify: { kind: 'magnitude', density: 1 }, signConsensus: true, normalize: true, lambda });
      expect(ties.values).toEqual(taskArithmetic(base, [tuned], [1], { ...TA, lambda }).values);
    }
    // With density < 1 it prunes: no longer equal.
    const pruned = taskArithmetic(base, [tuned], [1], { sparsify: { kind: 'magnitude', density: 0.5 }, signConsensus: true, normalize: true, lambda: 1 });
    expect(pruned.values).not.toEqual(tuned);
    expect(pruned.kept).toEqual([150]);
  });

  it('a linear merge of identical models is that model', () => {
    expect(linear([a, a, a], [1, 3, 0.5], true)).toEqual(a);
    expect(linear([a], [1], true)).toEqual(a);
  });

  it('dare with density 1 is the identity: rescaling or not, it is task arithmetic, and one model comes back', () => {
    const base = randn(300, 5);
    const models = [plus(base, randn(300, 6, 0.1)), plus(base, randn(300, 7, 0.1))];
    for (const rescale of [true, false]) {
      const dare = taskArithmetic(base, models, [1, 0.5], { ...TA, sparsify: { kind: 'random', density: 1, rescale, masks: seededMasks(1, 0, 1) } });
      expect(dare.values).toEqual(taskArithmetic(base, models, [1, 0.5], TA).values);
      const one = taskArithmetic(base, [models[0]!], [1], { ...TA, sparsify: { kind: 'random', density: 1, rescale, masks: seededMasks(1, 0, 1) } });
      expect(one.values).toEqual(models[0]);
    }
  });

  it("normalizes as mergekit does: linear and ties by default, task arithmetic and dare not", () => {
    const w = (o: object) => mergeSettings.parse(o);
    expect(w({ method: 'linear' })).toEqual({ method: 'linear', weights: {}, normalize: true });
    expect(w({ method: 'task-arithmetic', base: 'b' })).toMatchObject({ normalize: false, lambda: 1 });
    expect(w({ method: 'ties', base: 'b' })).toMatchObject({ normalize: true, density: 1, lambda: 1 });
    expect(w({ method: 'dare', base: 'b' })).toMatchObject({ normalize: false, density: 1, rescale: true, signConsensus: false });
    // Σ wᵢθᵢ / Σ wᵢ, or the plain sum.
    const x = Float32Array.from([1, 2]);
    const y = Float32Array.from([3, 6]);
    expect(linear([x, y], [1, 3], true)).toEqual(Float32Array.from([2.5, 5]));
    expect(linear([x, y], [1, 3], false)).toEqual(Float32Array.from([10, 20]));
    const base = Float32Array.from([0, 0]);
    expect(taskArithmetic(base, [x, y], [1, 3], TA).values).toEqual(Float32Array.from([10, 20]));
    expect(taskArithmetic(base, [x, y], [1, 3], { ...TA, normalize: true }).values).toEqual(Float32Array.from([2.5, 5]));
  });
});

describe("DARE's random pruning", () => {
  it('keeps about `density` of the entries, the same ones for the same seed, input and tensor', () => {
    for (const density of [0.1, 0.5, 0.9]) {
      const keep = seededMasks(7, 3, density)(0, 20_000);
      const frac = keep.reduce((s, k) => s + k, 0) / keep.length;
      expect(Math.abs(frac - density)).toBeLessThan(0.015);
    }
    const m = seededMasks(7, 3, 0.5);
    expect(m(0, 500)).toEqual(m(0, 500));
    expect(m(1, 500)).not.toEqual(m(0, 500));
    expect(seededMasks(8, 3, 0.5)(0, 500)).not.toEqual(m(0, 500));
    expect(seededMasks(7, 4, 0.5)(0, 500)).not.toEqual(m(0, 500));
  });

  it('preserves the task vector in expectation when rescaled (and shrinks it by density when not)', () => {
    const n = 400;
    const base = randn(n, 11);
    const delta = randn(n, 12, 0.1);
    const tuned = plus(base, delta);
    const slope = (rescale: boolean) => {
      const mean = new Float64Array(n);
      const draws = 300;
      for (let s = 0; s < draws; s++) {
        const r = taskArithmetic(base, [tuned], [1], { ...TA, sparsify: { kind: 'random', density: 0.4, rescale, masks: seededMasks(hashSeed(s), 0, 0.4) } });
        for (let j = 0; j < n; j++) mean[j]! += (r.values[j]! - base[j]!) / draws;
      }
      // The least-squares slope of the mean merged task vector on the true one.
      let num = 0;
      let den = 0;
      for (let j = 0; j < n; j++) {
        num += mean[j]! * (tuned[j]! - base[j]!);
        den += (tuned[j]! - base[j]!) ** 2;
      }
      return num / den;
    };
    expect(slope(true)).toBeGreaterThan(0.97);
    expect(slope(true)).toBeLessThan(1.03);
    expect(slope(false)).toBeCloseTo(0.4, 1);
  });
});

const CONFIG: Required<ModelConfig> = { arch: 'gpt', layers: 1, dModel: 8, heads: 2, context: 4, tokenizer: 'byte', vocabSize: 257 };

function tinyModel(label: string, seed: number, config: Required<ModelConfig> = CONFIG): LoadedModel {
  return {
    label,
    config,
    tokenizer: byteTokenizer().toJSON(),
    backend: 'wasm',
    tensors: paramSpecs(config).map((s, i) => ({ name: s.name, shape: s.shape, data: randn(s.shape.reduce((x, y) => x * y, 1), hashSeed(seed, i), 0.02) })),
  };
}

describe('models that do not fit together', () => {
  it('are refused naming the tensor whose shape differs', () => {
    const wide = tinyModel('wide', 2, { ...CONFIG, dModel: 16 });
    expect(() => assertSameArchitecture([tinyModel('a', 1), wide])).toThrow(/tensor 'wte' is \[257, 8\] in "a" and \[257, 16\] in "wide"/);
    const deeper = tinyModel('deep', 3, { ...CONFIG, layers: 2 });
    expect(() => assertSameArchitecture([tinyModel('a', 1), deeper])).toThrow(/tensor 'h1\.ln1\.g' of "deep" is missing from "a"/);
  });

  it('are refused naming the config field when the shapes agree but the architecture does not', () => {
    const heads = tinyModel('h4', 2, { ...CONFIG, heads: 4 });
    expect(() => assertSameArchitecture([tinyModel('a', 1), heads])).toThrow(/config heads is 2 in "a" and 4 in "h4"/);
  });

  it('fail the merge itself with that message, base included', async () => {
    await expect(mergeTensors({ method: 'ties', weights: [1], density: 0.5, lambda: 1, normalize: true }, [tinyModel('a', 1)], tinyModel('base', 2, { ...CONFIG, context: 8 }), 1)).rejects.toThrow(
      /tensor 'wpe' is \[8, 8\] in "base" and \[4, 8\] in "a"/,
    );
  });
});

describe('merged model directories', () => {
  const dirs: string[] = [];
  const temp = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'braise-merge-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('read pretrain model directories and write one that loads like them, recording the merge', async () => {
    const state = { step: 3, lossCurve: [], tokensSeen: 0, backend: 'wasm', seed: 1 };
    const inputs = [tinyModel('a', 1), tinyModel('b', 2)];
    const dirsIn = inputs.map((m) => {
      const dir = path.join(temp(), 'model');
      return { label: m.label, dir, m };
    });
    for (const { dir, m } of dirsIn) await saveModel(dir, { config: m.config, tokenizer: byteTokenizer(), weights: new Map(m.tensors.map((t) => [t.name, t.data])), state, finalLoss: 2 });
    const loaded = await Promise.all(dirsIn.map((d) => loadModelTensors({ label: d.label, dir: d.dir })));
    expect(loaded[0]!.tensors.map((t) => t.name)).toEqual(paramSpecs(CONFIG).map((s) => s.name));
    const merged = await mergeTensors({ method: 'slerp', t: 0 }, loaded, null, 1);
    const out = temp();
    await writeMergedModel(out, loaded[0]!, merged, { method: 'slerp', settings: { method: 'slerp', t: 0 }, models: [{ label: 'a' }, { label: 'b' }], base: null });
    const read = await readModelDir(out);
    expect(read.config).toEqual(CONFIG);
    for (const t of inputs[0]!.tensors) expect(read.weights.get(t.name)).toEqual(t.data);
    expect(read.meta).toEqual({ format: 'braise.model/v1', config: CONFIG, backend: 'none', tensorflowVersion: null, device: 'cpu', steps: 0, finalLoss: null });
    expect(JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8'))).toMatchObject({ merge: { method: 'slerp', models: [{ label: 'a' }, { label: 'b' }], base: null } });
  });

  it('DARE is deterministic in the seed and reports the fraction kept', async () => {
    const spec = { method: 'dare', weights: [1, 1], density: 0.3, rescale: true, signConsensus: true, lambda: 1, normalize: false } as const;
    const models = [tinyModel('a', 1), tinyModel('b', 2)];
    const base = tinyModel('base', 3);
    const one = await mergeTensors(spec, models, base, 5);
    const again = await mergeTensors(spec, models, base, 5);
    const other = await mergeTensors(spec, models, base, 6);
    expect(again.tensors).toEqual(one.tensors);
    expect(other.tensors).not.toEqual(one.tensors);
    expect(Math.abs(one.keptFraction - 0.3)).toBeLessThan(0.03);
  });
});
