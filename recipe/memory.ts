/**
 * How much memory a training stage needs, estimated from its model shape and batch before anything runs,
 * so the compiler can refuse a stage that cannot fit a worker instead of letting the trainer grow until the
 * kernel kills it. Written for any kind that trains the Braise GPT (pretrain today; sft, dpo… later).
 *
 * What is counted, all float32 (4 bytes), following ml/gpt.ts, ml/layers.ts, ml/optim.ts and ml/train-step.ts
 * (P the number of parameters, N = batch × context tokens, V the vocabulary):
 * - always resident during a step: weights, AdamW's two moments and the gradients, 4·P;
 * - then the larger of two phases that do not overlap:
 *   - the gradient computation (tf.variableGrads): every tensor the forward pass makes stays alive until the
 *     backward pass is done, and the backward pass makes about as many. Per layer and token the forward pass
 *     makes LayerNorm 5·d (twice), fused qkv 3·d, head transpose 3·d, q/k/v split 3·d, scaled q and kᵀ 2·d,
 *     attention output and its transpose 2·d, output projection and residual 2·d, MLP up 4·d, exact GELU
 *     5 × 4·d, MLP down and residual 2·d — about 51·d — plus scores, masked scores and softmax,
 *     3 · heads · context; doubled for the backward pass. Embeddings, logits and the cross-entropy (one-hot
 *     inputs and targets, log-softmax, their transposes and gradients) hold about 16·V + 16·d per token;
 *   - the update: global-norm clipping and AdamW make about 20 tensors the size of each parameter inside one
 *     tidy (squares, scaled copies, moment updates, bias corrections, the step), 20·P.
 * The checkpoint's copy of weights and moments (3·P) is made between steps, when less is alive.
 * test/unit/recipe/memory.test.ts checks the estimate against tfjs's measured peak for small models.
 */

/** The byte tokenizer's vocabulary: 256 bytes and EOS (ml/tokenizer.ts). */
export const BYTE_VOCAB = 257;

const FLOAT_BYTES = 4;
/** The trainer process itself (Node, tfjs, the tokenized data) before any tensor: a round, honest allowance. */
export const PROCESS_BYTES = 256 * 1024 ** 2;
/** Floats kept per layer and token, per unit of d (see the header). */
const PER_LAYER_D = 2 * 51;
/** Attention maps kept per layer and token, per head and context position. */
const PER_LAYER_ATTENTION = 2 * 3;
/** Floats per token of the embeddings, logits and loss, per vocabulary entry and per unit of d. */
const HEAD_V = 16;
const HEAD_D = 16;

export interface TrainingShape {
  layers: number;
  dModel: number;
  heads: number;
  context: number;
  vocabSize?: number;
  batchSize: number;
}

export interface MemoryEstimate {
  /** Everything: {@link tensorBytes} and the process itself. */
  bytes: number;
  /** The tensors alive at the peak of a training step. */
  tensorBytes: number;
  parameters: number;
  /** Weights, AdamW moments and gradients. */
  stateBytes: number;
  /** Clipping and AdamW temporaries. */
  updateBytes: number;
  activationBytes: number;
}

/** Trainable parameters of the Braise GPT (tied output head), as ml/gpt.ts's paramSpecs lays them out. */
export function parameterCount(m: Omit<TrainingShape, 'batchSize'>): number {
  const d = m.dModel;
  const v = m.vocabSize ?? BYTE_VOCAB;
  const perLayer = 12 * d * d + 13 * d; // 2 LayerNorms (4d), qkv (3d² + 3d), out (d² + d), MLP (8d² + 5d)
  return v * d + m.context * d + m.layers * perLayer + 2 * d;
}

export function estimateTrainingMemory(shape: TrainingShape): MemoryEstimate {
  const { layers, dModel: d, heads, context: t, batchSize } = shape;
  const v = shape.vocabSize ?? BYTE_VOCAB;
  const parameters = parameterCount(shape);
  const tokens = batchSize * t;
  const perLayer = tokens * (PER_LAYER_D * d + PER_LAYER_ATTENTION * heads * t);
  const head = tokens * (HEAD_V * v + HEAD_D * d);
  const activationFloats = layers * perLayer + head;
  const stateFloats = 4 * parameters;
  const updateFloats = 20 * parameters;
  const tensorBytes = (stateFloats + Math.max(activationFloats, updateFloats)) * FLOAT_BYTES;
  return {
    bytes: tensorBytes + PROCESS_BYTES,
    tensorBytes,
    parameters,
    stateBytes: stateFloats * FLOAT_BYTES,
    updateBytes: updateFloats * FLOAT_BYTES,
    activationBytes: activationFloats * FLOAT_BYTES,
  };
}

/** The wasm backend addresses at most 4 GiB (32-bit memory), whatever the machine has. */
export const WASM_MEMORY_BYTES = 4 * 1024 ** 3;
