import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';

/*
 * Differentiable building blocks with hand-written gradients. On the WASM backend a matmul with a
 * transpose flag is ~10× slower than an explicit transpose followed by a plain matmul, and the
 * generic op-by-op gradients of LayerNorm/GELU/cross-entropy launch many small kernels; these
 * custom gradients cut a d=128 training step by more than half.
 */

type GradFn = (dy: Tensor, saved: Tensor[]) => Tensor[];

/** tf.customGrad with the save function and inputs typed apart (its own typing mixes them). */
function custom(
  f: (inputs: Tensor[], save: (ts: Tensor[]) => void) => { value: Tensor; gradFunc: GradFn },
): (...inputs: Tensor[]) => Tensor {
  const op = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const { value, gradFunc } = f(args.slice(0, -1) as Tensor[], save);
    return { value, gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => gradFunc(dy as Tensor, saved) };
  });
  return (...inputs: Tensor[]) => op(...inputs);
}

/** Swaps the last two axes. */
export function transposeLast2(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = x.rank;
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/** `a·b` (optionally transposing either operand), never using matMul's slow transpose flags. */
export function matMulT<T extends Tensor>(a: T, b: Tensor, transposeA = false, transposeB = false): T {
  return tf.matMul(transposeA ? transposeLast2(a) : a, transposeB ? transposeLast2(b) : b) as T;
}

/** Column sums of a 2-D tensor via a matmul with ones, much faster on WASM than sum over axis 0. */
function sumRows(x: Tensor2D): Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, x.shape[0]]), x), [x.shape[1]]);
}

const linearOp = custom(([x, w, b], save) => {
  save([x!, w!]);
  return {
    value: tf.fused.matMul({ a: x as Tensor2D, b: w as Tensor2D, bias: b! }),
    gradFunc: (dy, saved) => {
      const [xs, ws] = saved as [Tensor2D, Tensor2D];
      const g = dy as Tensor2D;
      return [matMulT(g, ws, false, true), matMulT(xs, g, true, false), sumRows(g)];
    },
  };
});

/** `x·w + b` for x `[N, in]`, w `[in, out]`, b `[out]`. */
export function linear(x: Tensor2D, w: Tensor, b: Tensor): Tensor2D {
  return linearOp(x, w, b) as Tensor2D;
}

const layerNormOp = custom(([x, g, b], save) => {
  const mean = tf.mean(x!, -1, true);
  const xc = tf.sub(x!, mean);
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), 1e-5));
  const xhat = tf.mul(xc, rstd);
  save([xhat, rstd, g!]);
  return {
    value: tf.add(tf.mul(xhat, g!), b!),
    gradFunc: (dy, saved) => {
      const [xh, rs, gain] = saved as [Tensor2D, Tensor2D, Tensor1D];
      const d = dy as Tensor2D;
      const dxhat = tf.mul(d, gain);
      const dx = tf.mul(
        rs,
        tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xh, tf.mean(tf.mul(dxhat, xh), -1, true))),
      );
      return [dx, sumRows(tf.mul(d, xh) as Tensor2D), sumRows(d)];
    },
  };
});

/** LayerNorm over the last axis of x `[N, d]` with gain g and offset b `[d]` (ε = 1e-5). */
export function layerNorm(x: Tensor2D, g: Tensor, b: Tensor): Tensor2D {
  return layerNormOp(x, g, b) as Tensor2D;
}

const geluOp = custom(([x], save) => {
  const cdf = tf.mul(tf.add(tf.erf(tf.mul(x!, Math.SQRT1_2)), 1), 0.5);
  save([x!, cdf]);
  return {
    value: tf.mul(x!, cdf),
    gradFunc: (dy, saved) => {
      const [xs, c] = saved as [Tensor, Tensor];
      // d/dx x·Φ(x) = Φ(x) + x·φ(x)
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(xs), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return [tf.mul(dy, tf.add(c, tf.mul(xs, pdf)))];
    },
  };
});

/** Exact GELU, x·Φ(x). */
export function gelu<T extends Tensor>(x: T): T {
  return geluOp(x) as T;
}

const crossEntropyOp = custom(([logits, onehot], save) => {
  const logp = tf.logSoftmax(logits!);
  save([logp, onehot!]);
  return {
    value: tf.neg(tf.sum(tf.mul(logp, onehot!), -1)),
    gradFunc: (dy, saved) => {
      const [lp, oh] = saved as [Tensor2D, Tensor2D];
      const d = tf.reshape(dy, [-1, 1]);
      return [tf.mul(tf.sub(tf.exp(lp), oh), d), tf.zerosLike(oh)];
    },
  };
});

/**
 * Per-row cross-entropy (nats) `[N]` of `logits` `[N, V]` against int32 `targets` `[N]`.
 * The gradient is softmax − onehot, computed directly.
 */
export function crossEntropy(logits: Tensor2D, targets: Tensor1D): Tensor1D {
  return tf.tidy(() => crossEntropyOp(logits, tf.oneHot(targets, logits.shape[1])) as Tensor1D);
}
