import * as tf from '@tensorflow/tfjs-core';
import { attentionMatMul } from './attention-matmul.ts';
import { parseModelConfig, type ModelConfig } from './config.ts';
import './gradients.ts';
import { gelu, layerNorm, linear, transposeLast2 } from './layers.ts';
import { mulberry32, normalArray } from './random.ts';

export type { ModelConfig } from './config.ts';

/**
 * A GPT-2-style decoder held as plain tf.Variables.
 *
 * Architecture: learned token (`wte`) and positional (`wpe`) embeddings; `layers` pre-LayerNorm blocks
 * of causal multi-head self-attention (fused qkv projection) and a 4× GELU (exact, erf) MLP, each
 * added to the residual stream; a final LayerNorm; and an output head **tied** to `wte`
 * (logits = h · wteᵀ), which saves V·d parameters and helps tiny models. No dropout: training is
 * meant to be bit-for-bit reproducible from (seed, step).
 *
 * Token lookup is a one-hot matmul rather than tf.gather: the WASM backend lacks the
 * UnsortedSegmentSum kernel that gather's gradient needs.
 */
export interface GptModel {
  readonly config: Required<ModelConfig>;
  /** Trainable parameters by logical name (`wte`, `h0.attn.wqkv`, ...), in {@link paramSpecs} order. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** The additive causal mask `[t, t]` (0 on and below the diagonal, −1e9 above), cached and owned by the model. */
  causalMask(t: number): tf.Tensor2D;
  /** Frees every tensor the model owns. */
  dispose(): void;
}

/** Shape and initialiser of one parameter. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** `normal` uses `std`; `zeros`/`ones` are constants. */
  init: 'normal' | 'zeros' | 'ones';
  std: number;
}

/** The parameters of a config, in the fixed order used for init, checkpoints and optimizer state. */
export function paramSpecs(config: ModelConfig): ParamSpec[] {
  const c = parseModelConfig(config, 'model');
  const d = c.dModel;
  const std = 0.02;
  // GPT-2: scale the projections that write into the residual stream by 1/sqrt(2·layers).
  const residualStd = std / Math.sqrt(2 * c.layers);
  const specs: ParamSpec[] = [
    { name: 'wte', shape: [c.vocabSize, d], init: 'normal', std },
    { name: 'wpe', shape: [c.context, d], init: 'normal', std },
  ];
  const ln = (p: string): ParamSpec[] => [
    { name: `${p}.g`, shape: [d], init: 'ones', std: 0 },
    { name: `${p}.b`, shape: [d], init: 'zeros', std: 0 },
  ];
  for (let l = 0; l < c.layers; l++) {
    const h = `h${l}`;
    specs.push(
      ...ln(`${h}.ln1`),
      { name: `${h}.attn.wqkv`, shape: [d, 3 * d], init: 'normal', std },
      { name: `${h}.attn.bqkv`, shape: [3 * d], init: 'zeros', std: 0 },
      { name: `${h}.attn.wo`, shape: [d, d], init: 'normal', std: residualStd },
      { name: `${h}.attn.bo`, shape: [d], init: 'zeros', std: 0 },
      ...ln(`${h}.ln2`),
      { name: `${h}.mlp.w1`, shape: [d, 4 * d], init: 'normal', std },
      { name: `${h}.mlp.b1`, shape: [4 * d], init: 'zeros', std: 0 },
      { name: `${h}.mlp.w2`, shape: [4 * d, d], init: 'normal', std: residualStd },
      { name: `${h}.mlp.b2`, shape: [d], init: 'zeros', std: 0 },
    );
  }
  specs.push(...ln('lnf'));
  return specs;
}

let modelCounter = 0;

/**
 * Builds a model from weight arrays, one per {@link paramSpecs} entry (by name). Throws naming the
 * parameter when one is missing or has the wrong size.
 */
export function modelFromWeights(config: ModelConfig, weights: ReadonlyMap<string, Float32Array>): GptModel {
  const full = parseModelConfig(config, 'model');
  // tfjs variable names are global to the engine; the prefix lets several models (policy + reference) coexist.
  const prefix = `braise${++modelCounter}`;
  const params = new Map<string, tf.Variable>();
  const causalMasks = new Map<number, tf.Tensor2D>();
  try {
    for (const spec of paramSpecs(full)) {
      const data = weights.get(spec.name);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (data === undefined) throw new Error(`weights: missing parameter '${spec.name}'`);
      if (data.length !== size) {
        throw new Error(`weights: '${spec.name}' has ${data.length} values, expected ${size} for shape [${spec.shape}]`);
      }
      // tidy frees the initial tensor once the variable holds the data.
      params.set(spec.name, tf.tidy(() => tf.variable(tf.tensor(data, spec.shape, 'float32'), true, `${prefix}/${spec.name}`)));
    }
  } catch (err) {
    for (const v of params.values()) v.dispose();
    throw err;
  }
  const model: GptModel = {
    config: full,
    params,
    dispose() {
      for (const v of params.values()) v.dispose();
      for (const m of causalMasks.values()) m.dispose();
      causalMasks.clear();
    },
    causalMask(t: number) {
      let m = causalMasks.get(t);
      if (m === undefined) {
        const data = new Float32Array(t * t);
        for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) data[i * t + j] = -1e9;
        m = tf.keep(tf.tensor2d(data, [t, t]));
        causalMasks.set(t, m);
      }
      return m;
    },
  };
  return model;
}

/** A fresh model whose initial weights depend only on `config` and `seed` (not on the backend). */
export function createModel(config: ModelConfig, seed: number): GptModel {
  const rng = mulberry32(seed);
  const weights = new Map<string, Float32Array>();
  for (const spec of paramSpecs(config)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.init === 'normal') weights.set(spec.name, normalArray(rng, size, spec.std));
    else weights.set(spec.name, new Float32Array(size).fill(spec.init === 'ones' ? 1 : 0));
  }
  return modelFromWeights(config, weights);
}

/** Copies every parameter out of the model, by name. */
export async function readWeights(model: GptModel): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.params) out.set(name, (await v.data()) as Float32Array);
  return out;
}

function p(model: GptModel, name: string): tf.Variable {
  const v = model.params.get(name);
  if (v === undefined) throw new Error(`model has no parameter '${name}'`);
  return v;
}

/**
 * Logits `[B, T, V]` for int32 `tokens` `[B, T]` with T ≤ context. Position t sees tokens 0..t only.
 * Call inside tf.tidy (or dispose the result).
 */
export function forward(model: GptModel, tokens: tf.Tensor2D): tf.Tensor3D {
  const { dModel: d, heads: H, vocabSize: V, context, layers } = model.config;
  const [B, T] = tokens.shape;
  if (T > context) throw new Error(`forward: sequence length ${T} exceeds context ${context}`);
  const dh = d / H;
  const N = B * T;
  const mask = model.causalMask(T);
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.reshape(tokens, [N]), V) as tf.Tensor2D;
    const tok = tf.matMul(onehot, p(model, 'wte'));
    const pos = tf.slice(p(model, 'wpe'), [0, 0], [T, d]);
    let x = tf.reshape(tf.add(tf.reshape(tok, [B, T, d]), pos), [N, d]) as tf.Tensor2D;
    for (let l = 0; l < layers; l++) {
      const h = `h${l}`;
      const a = layerNorm(x, p(model, `${h}.ln1.g`), p(model, `${h}.ln1.b`));
      const qkv = linear(a, p(model, `${h}.attn.wqkv`), p(model, `${h}.attn.bqkv`));
      // [N, 3d] -> [B, 3H, T, dh], then q, k, v as [B, H, T, dh] each.
      const heads = tf.transpose(tf.reshape(qkv, [B, T, 3 * H, dh]), [0, 2, 1, 3]);
      const [q, k, v] = tf.split(heads, 3, 1) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      // The batched [B, H, ·, ·] matmuls go per head on WASM (ml/attention-matmul.ts).
      const scores = tf.add(attentionMatMul(tf.mul(q, 1 / Math.sqrt(dh)), transposeLast2(k)), mask);
      const y = attentionMatMul(tf.softmax(scores), v);
      const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [N, d]) as tf.Tensor2D;
      x = tf.add(x, linear(merged, p(model, `${h}.attn.wo`), p(model, `${h}.attn.bo`)));
      const m = layerNorm(x, p(model, `${h}.ln2.g`), p(model, `${h}.ln2.b`));
      const hidden = gelu(linear(m, p(model, `${h}.mlp.w1`), p(model, `${h}.mlp.b1`)));
      x = tf.add(x, linear(hidden, p(model, `${h}.mlp.w2`), p(model, `${h}.mlp.b2`)));
    }
    const out = layerNorm(x, p(model, 'lnf.g'), p(model, 'lnf.b'));
    return tf.reshape(tf.matMul(out, transposeLast2(p(model, 'wte'))), [B, T, V]) as tf.Tensor3D;
  });
}
