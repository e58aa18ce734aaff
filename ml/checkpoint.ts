import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  readJson,
  readTensors,
  tensorIndexSchema,
  writeDirAtomic,
  writeJson,
  writeTensors,
} from './checkpoint-io.ts';
import { modelConfigSchema, parseModelConfig, type ModelConfig } from './config.ts';
import { JobInputError } from './errors.ts';
import { modelFromWeights, paramSpecs, type GptModel } from './gpt.ts';
import type { AdamWState } from './optim.ts';
import { loadTokenizer, type Tokenizer } from './tokenizer.ts';

/** `state.json`: where training stands. */
export interface TrainState {
  /** Optimizer updates completed. */
  step: number;
  /** `[step, loss]` for every completed step. */
  lossCurve: Array<[number, number]>;
  tokensSeen: number;
  backend: string;
  seed: number;
}

/** `model.json` of a final model directory. */
export interface ModelMeta {
  format: 'braise.model/v1';
  config: ModelConfig;
  backend: string;
  /** The TensorFlow C library's version on the native backend, null elsewhere (absent in older model dirs). */
  tensorflowVersion?: string | null;
  /** `cpu` or `gpu` (absent in older model dirs). */
  device?: string;
  steps: number;
  /** Smoothed final training loss (nats/token); null for a model saved without training. */
  finalLoss: number | null;
}

const stateSchema = z.object({
  step: z.number().int().nonnegative(),
  lossCurve: z.array(z.tuple([z.number(), z.number()])),
  tokensSeen: z.number().nonnegative(),
  backend: z.string(),
  seed: z.number().int(),
});

const modelMetaSchema = z.object({
  format: z.literal('braise.model/v1'),
  config: modelConfigSchema,
  backend: z.string(),
  tensorflowVersion: z.string().nullable().optional(),
  device: z.string().optional(),
  steps: z.number().int().nonnegative(),
  finalLoss: z.number().nullable(),
});

const optimizerIndexSchema = z.object({
  step: z.number().int().nonnegative(),
  beta1: z.number(),
  beta2: z.number(),
  eps: z.number(),
  weightDecay: z.number(),
  tensors: tensorIndexSchema,
});

/** `step-00000050` for step 50. */
export function checkpointDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

const STEP_DIR = /^step-(\d{8})$/;

/** Model weights by parameter name, in {@link paramSpecs} order. */
export type Weights = ReadonlyMap<string, Float32Array>;

async function writeModelFiles(dir: string, config: ModelConfig, tokenizer: Tokenizer, weights: Weights): Promise<void> {
  await writeJson(path.join(dir, 'config.json'), config);
  await writeJson(path.join(dir, 'tokenizer.json'), tokenizer.toJSON());
  const tensors = paramSpecs(config).map((s) => {
    const data = weights.get(s.name);
    if (data === undefined) throw new Error(`weights: missing parameter '${s.name}'`);
    return { name: s.name, shape: s.shape, data };
  });
  await writeJson(path.join(dir, 'weights.json'), await writeTensors(dir, 'weights', tensors));
}

async function readModelFiles(dir: string): Promise<{ config: Required<ModelConfig>; tokenizer: Tokenizer; weights: Map<string, Float32Array> }> {
  const configFile = path.join(dir, 'config.json');
  const config = parseModelConfig(await readJson(configFile, z.unknown()), configFile);
  const tokFile = path.join(dir, 'tokenizer.json');
  let tokenizer: Tokenizer;
  try {
    tokenizer = loadTokenizer(await readJson(tokFile, z.unknown()), tokFile);
  } catch (err) {
    throw err instanceof JobInputError ? err : new JobInputError((err as Error).message, { cause: err });
  }
  const index = await readJson(path.join(dir, 'weights.json'), tensorIndexSchema);
  const weights = await readTensors(dir, 'weights', index);
  for (const spec of paramSpecs(config)) {
    const w = weights.get(spec.name);
    if (w === undefined) throw new JobInputError(`${dir}/weights.json: missing parameter '${spec.name}'`);
    if (w.length !== spec.shape.reduce((a, b) => a * b, 1)) {
      throw new JobInputError(`${dir}/weights.json: '${spec.name}' does not have shape [${spec.shape}]`);
    }
  }
  return { config, tokenizer, weights };
}

/** Everything needed to resume training bit-for-bit. */
export interface Checkpoint {
  config: Required<ModelConfig>;
  tokenizer: Tokenizer;
  weights: Map<string, Float32Array>;
  optimizer: AdamWState;
  state: TrainState;
}

/**
 * Writes `<root>/step-NNNNNNNN` atomically (see {@link writeDirAtomic}) with config, tokenizer,
 * weights, optimizer moments, `state.json` and any `extraJson` files (e.g. `consumed.json`).
 * Returns the directory.
 */
export async function saveCheckpoint(
  root: string,
  ck: { config: ModelConfig; tokenizer: Tokenizer; weights: Weights; optimizer: AdamWState; state: TrainState },
  extraJson: Record<string, unknown> = {},
): Promise<string> {
  const dir = path.join(root, checkpointDirName(ck.state.step));
  await writeDirAtomic(dir, async (tmp) => {
    await writeModelFiles(tmp, ck.config, ck.tokenizer, ck.weights);
    const { m, v, ...hyper } = ck.optimizer;
    const tensors = paramSpecs(ck.config).flatMap((s) => [
      { name: `m/${s.name}`, shape: s.shape, data: m.get(s.name)! },
      { name: `v/${s.name}`, shape: s.shape, data: v.get(s.name)! },
    ]);
    await writeJson(path.join(tmp, 'optimizer.json'), { ...hyper, tensors: await writeTensors(tmp, 'optimizer', tensors) });
    for (const [name, value] of Object.entries(extraJson)) await writeJson(path.join(tmp, name), value);
    // Last, so a directory with a valid state.json is complete even if copied by something non-atomic.
    await writeJson(path.join(tmp, 'state.json'), ck.state);
  });
  return dir;
}

/** Reads a checkpoint directory; throws a {@link JobInputError} naming the file that is missing or wrong. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const { config, tokenizer, weights } = await readModelFiles(dir);
  const opt = await readJson(path.join(dir, 'optimizer.json'), optimizerIndexSchema);
  const moments = await readTensors(dir, 'optimizer', opt.tensors);
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const name of weights.keys()) {
    const mm = moments.get(`m/${name}`);
    const vv = moments.get(`v/${name}`);
    if (mm === undefined || vv === undefined) throw new JobInputError(`${dir}/optimizer.json: missing moments of '${name}'`);
    m.set(name, mm);
    v.set(name, vv);
  }
  const state = await readJson(path.join(dir, 'state.json'), stateSchema);
  const { step, beta1, beta2, eps, weightDecay } = opt;
  return { config, tokenizer, weights, optimizer: { step, beta1, beta2, eps, weightDecay, m, v }, state: state as TrainState };
}

/**
 * The highest `step-NNNNNNNN` directory under `root` with a readable `state.json` for that step,
 * or null (also when `root` does not exist). Temp directories of interrupted saves are ignored.
 */
export async function latestCheckpoint(root: string): Promise<string | null> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return null;
  }
  const steps = names
    .map((n) => STEP_DIR.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const step of steps) {
    const dir = path.join(root, checkpointDirName(step));
    try {
      const state = await readJson(path.join(dir, 'state.json'), stateSchema);
      if (state.step === step) return dir;
    } catch {
      // Unreadable: fall back to the previous one.
    }
  }
  return null;
}

/** Writes a final model directory atomically: model files, `state.json` and `model.json`. */
export async function saveModel(
  dir: string,
  m: { config: ModelConfig; tokenizer: Tokenizer; weights: Weights; state: TrainState; finalLoss: number; runtime?: { tensorflowVersion: string | null; device: string } },
): Promise<void> {
  const meta: ModelMeta = {
    format: 'braise.model/v1',
    config: m.config,
    backend: m.state.backend,
    ...(m.runtime ? { tensorflowVersion: m.runtime.tensorflowVersion, device: m.runtime.device } : {}),
    steps: m.state.step,
    finalLoss: Number.isFinite(m.finalLoss) ? m.finalLoss : null,
  };
  await writeDirAtomic(dir, async (tmp) => {
    await writeModelFiles(tmp, m.config, m.tokenizer, m.weights);
    await writeJson(path.join(tmp, 'state.json'), m.state);
    await writeJson(path.join(tmp, 'model.json'), meta);
  });
}

/** A model directory's contents without creating tensors. */
export async function readModelDir(dir: string): Promise<{
  config: Required<ModelConfig>;
  tokenizer: Tokenizer;
  weights: Map<string, Float32Array>;
  meta: ModelMeta;
}> {
  const meta = await readJson(path.join(dir, 'model.json'), modelMetaSchema);
  return { ...(await readModelFiles(dir)), meta: meta as ModelMeta };
}

/**
 * Loads a model directory onto the current backend (call `selectBackend` first). The caller
 * disposes the model.
 */
export async function loadModel(dir: string): Promise<{ model: GptModel; tokenizer: Tokenizer; meta: ModelMeta }> {
  const { config, tokenizer, weights, meta } = await readModelDir(dir);
  return { model: modelFromWeights(config, weights), tokenizer, meta };
}
