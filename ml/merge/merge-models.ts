/**
 * Merging model directories: reads each input's `config.json`, `tokenizer.json` and weights (the files a
 * pretrain model artifact holds, ml/checkpoint.ts), refuses inputs that do not fit together naming the
 * first tensor (then config field, then tokenizer) that differs, merges tensor by tensor with methods.ts and
 * writes a model directory evaluate loads like a pretrain model, its `model.json` recording the method, its
 * settings and the inputs. Runs in the activity's process: a merge is a few passes over the weights (no
 * TensorFlow.js is loaded); it yields between tensors so the worker's event loop stays free. DARE's masks
 * come from mulberry32(hashSeed(seed, input, tensor)): the same seed and inputs give the same model.
 */
import path from 'node:path';
import { z } from 'zod';
import { readJson, readTensors, tensorIndexSchema, writeJson, writeTensors } from '../checkpoint-io.ts';
import { parseModelConfig, type ModelConfig } from '../config.ts';
import { JobInputError } from '../errors.ts';
import { hashSeed, mulberry32 } from '../random.ts';
import { linear, slerp, taskArithmetic, type MaskSource, type Sparsify } from './methods.ts';

/** A merge as the activity describes it; `weights` line up with `models`. */
export type MergeSpec =
  | { method: 'linear'; weights: readonly number[]; normalize: boolean }
  | { method: 'slerp'; t: number }
  | { method: 'task-arithmetic'; weights: readonly number[]; lambda: number; normalize: boolean }
  | { method: 'ties'; weights: readonly number[]; density: number; lambda: number; normalize: boolean }
  | { method: 'dare'; weights: readonly number[]; density: number; rescale: boolean; signConsensus: boolean; lambda: number; normalize: boolean };

/** One input model: its directory and the name errors call it by (its stage id). */
export interface ModelInput {
  label: string;
  dir: string;
}

export interface LoadedModel {
  label: string;
  config: Required<ModelConfig>;
  tokenizer: unknown;
  backend: string;
  tensors: Array<{ name: string; shape: number[]; data: Float32Array }>;
}

const metaSchema = z.object({ format: z.literal('braise.model/v1'), backend: z.string() });

/** Reads a model directory's config, tokenizer and weights (in `weights.json` order). */
export async function loadModelTensors(input: ModelInput): Promise<LoadedModel> {
  const { dir, label } = input;
  const meta = await readJson(path.join(dir, 'model.json'), metaSchema);
  const configFile = path.join(dir, 'config.json');
  let config: Required<ModelConfig>;
  try {
    config = parseModelConfig(await readJson(configFile, z.unknown()), configFile);
  } catch (err) {
    throw err instanceof JobInputError ? err : new JobInputError(`model "${label}": ${(err as Error).message}`, { cause: err });
  }
  const tokenizer = await readJson(path.join(dir, 'tokenizer.json'), z.unknown());
  const index = await readJson(path.join(dir, 'weights.json'), tensorIndexSchema);
  const data = await readTensors(dir, 'weights', index);
  return { label, config, tokenizer, backend: meta.backend, tensors: index.map((e) => ({ name: e.name, shape: e.shape, data: data.get(e.name)! })) };
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Throws a {@link JobInputError} unless every model has the tensors of the first, each of the same shape, and
 * the same config and tokenizer. The message names the tensor (or config field) and both models.
 */
export function assertSameArchitecture(models: readonly LoadedModel[]): void {
  const [first, ...rest] = models;
  if (!first) return;
  const shapes = new Map(first.tensors.map((t) => [t.name, t.shape]));
  for (const m of rest) {
    const theirs = new Map(m.tensors.map((t) => [t.name, t.shape]));
    for (const [name, shape] of shapes) {
      const other = theirs.get(name);
      if (other === undefined) throw new JobInputError(`models do not fit together: tensor '${name}' of "${first.label}" is missing from "${m.label}"`);
      if (shapeText(other) !== shapeText(shape)) {
        throw new JobInputError(`models do not fit together: tensor '${name}' is ${shapeText(shape)} in "${first.label}" and ${shapeText(other)} in "${m.label}"`);
      }
    }
    for (const name of theirs.keys()) {
      if (!shapes.has(name)) throw new JobInputError(`models do not fit together: tensor '${name}' of "${m.label}" is missing from "${first.label}"`);
    }
    for (const key of Object.keys(first.config) as Array<keyof ModelConfig>) {
      if (first.config[key] !== m.config[key]) {
        throw new JobInputError(`models do not fit together: config ${key} is ${JSON.stringify(first.config[key])} in "${first.label}" and ${JSON.stringify(m.config[key])} in "${m.label}"`);
      }
    }
    if (JSON.stringify(first.tokenizer) !== JSON.stringify(m.tokenizer)) {
      throw new JobInputError(`models do not fit together: tokenizer.json differs between "${first.label}" and "${m.label}"`);
    }
  }
}

/** DARE's masks for tensor `tensor`: entry kept when a uniform draw falls below the density. */
export function seededMasks(seed: number, tensor: number, density: number): MaskSource {
  return (i, n) => {
    const rng = mulberry32(hashSeed(seed >>> 0, i, tensor));
    const keep = new Uint8Array(n);
    for (let j = 0; j < n; j++) keep[j] = rng() < density ? 1 : 0;
    return keep;
  };
}

/** The merged tensors, and the fraction of task-vector entries the pruning kept (ties, dare; 1 otherwise). */
export interface MergedTensors {
  tensors: Array<{ name: string; shape: number[]; data: Float32Array }>;
  keptFraction: number;
}

const yieldLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Merges `models` (and `base`, for the task-vector methods) tensor by tensor, in the first model's order.
 * `seed` seeds DARE's masks. Every input must fit the others ({@link assertSameArchitecture}).
 */
export async function mergeTensors(spec: MergeSpec, models: readonly LoadedModel[], base: LoadedModel | null, seed: number): Promise<MergedTensors> {
  if (models.length === 0) throw new JobInputError('merge: no models to merge');
  if (spec.method === 'slerp' && models.length !== 2) throw new JobInputError(`slerp merges exactly two models, got ${models.length}`);
  const needsBase = spec.method !== 'linear' && spec.method !== 'slerp';
  if (needsBase && !base) throw new JobInputError(`${spec.method} needs a base model`);
  assertSameArchitecture(base ? [base, ...models] : models);
  const byName = models.map((m) => new Map(m.tensors.map((t) => [t.name, t.data])));
  const baseByName = base ? new Map(base.tensors.map((t) => [t.name, t.data])) : null;
  const out: MergedTensors['tensors'] = [];
  let kept = 0;
  let total = 0;
  for (const [index, t] of models[0]!.tensors.entries()) {
    const inputs = byName.map((m) => m.get(t.name)!);
    let data: Float32Array;
    if (spec.method === 'linear') data = linear(inputs, spec.weights, spec.normalize);
    else if (spec.method === 'slerp') data = slerp(spec.t, inputs[0]!, inputs[1]!);
    else {
      const sparsify: Sparsify =
        spec.method === 'ties'
          ? { kind: 'magnitude', density: spec.density }
          : spec.method === 'dare'
            ? { kind: 'random', density: spec.density, rescale: spec.rescale, masks: seededMasks(seed, index, spec.density) }
            : { kind: 'none' };
      const signConsensus = spec.method === 'ties' || (spec.method === 'dare' && spec.signConsensus);
      const r = taskArithmetic(baseByName!.get(t.name)!, inputs, spec.weights, { sparsify, signConsensus, normalize: spec.normalize, lambda: spec.lambda });
      data = r.values;
      for (const k of r.kept) kept += k;
      total += inputs.length * t.data.length;
    }
    out.push({ name: t.name, shape: t.shape, data });
    await yieldLoop();
  }
  return { tensors: out, keptFraction: total > 0 ? kept / total : 1 };
}

/** What `model.json` records about a merge (beside the fields every Braise model has). */
export interface MergeRecord {
  method: string;
  settings: Record<string, unknown>;
  models: Array<{ label: string; weight?: number }>;
  base: string | null;
  /** The chat template the merged model is prompted in (its base's, else its first model's), when that one has one. */
  chatTemplate?: unknown;
}

/** Writes a model directory (config, tokenizer, weights, `model.json`) into the empty directory `dir`. */
export async function writeMergedModel(dir: string, like: LoadedModel, merged: MergedTensors, record: MergeRecord): Promise<void> {
  await writeJson(path.join(dir, 'config.json'), like.config);
  await writeJson(path.join(dir, 'tokenizer.json'), like.tokenizer);
  await writeJson(path.join(dir, 'weights.json'), await writeTensors(dir, 'weights', merged.tensors));
  // No backend ran: the merge is plain arithmetic; steps 0 and no loss, as no training made this model.
  await writeJson(path.join(dir, 'model.json'), { format: 'braise.model/v1', config: like.config, backend: 'none', tensorflowVersion: null, device: 'cpu', steps: 0, finalLoss: null, merge: record });
}
