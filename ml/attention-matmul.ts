/**
 * Attention's batched matmuls (scores = q·kᵀ and softmax·v on `[B, H, T, dh]` tensors) as one 2-D
 * matmul per (batch, head) slice on the WASM backend.
 *
 * Why: tfjs-backend-wasm's BatchMatMul kernel sends any batch larger than one to a scalar loop
 * (`slow_batch_matmul`, ~2.5 GFLOP/s), while a 2-D matmul goes through XNNPACK (~25 GFLOP/s); per
 * slice, the kernel runs ~3.5× faster on attention's shapes even with the slicing and stacking. The
 * gradient is per slice too (dA = dY·Bᵀ, dB = Aᵀ·dY), so the backward pass gets the same speed-up.
 * Other backends keep their own BatchMatMul, which is fast there (tfjs-node) or the same loop per
 * slice (plain JS). The numbers equal tf.matMul's to float32 rounding (test/unit/ml/attention-matmul.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { transposeLast2 } from './layers.ts';

/** The `g` row-major `[rows, cols]` slices of `x`, as new 2-D tensors. */
function slices(x: Tensor, g: number, rows: number, cols: number): Tensor[] {
  // Read once and cut in JS: WASM's Slice/Unpack kernels cost ~1-2 ms per slice here, several
  // times the matmuls themselves; on WASM the data is in host memory, so this is two memcpys.
  const data = x.dataSync() as Float32Array;
  const n = rows * cols;
  return Array.from({ length: g }, (_, i) => tf.tensor2d(data.subarray(i * n, (i + 1) * n), [rows, cols], 'float32'));
}

/** `a·b` slice by slice: a `[..., m, k]`, b `[..., k, n]` with the same leading dims, as 2-D matmuls. */
function sliced(a: Tensor, b: Tensor): Tensor {
  const lead = a.shape.slice(0, -2);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.rank - 1]!;
  const g = lead.reduce((x, y) => x * y, 1);
  return tf.tidy(() => {
    const as = slices(a, g, m, k);
    const bs = slices(b, g, k, n);
    return tf.reshape(tf.stack(as.map((x, i) => tf.matMul(x, bs[i]!))), [...lead, m, n]);
  });
}

const slicedOp = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [Tensor, Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: sliced(a, b),
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
      const [sa, sb] = saved as [Tensor, Tensor];
      const g = dy as Tensor;
      return [sliced(g, transposeLast2(sb)), sliced(transposeLast2(sa), g)];
    },
  };
});

/** The per-slice product with its gradient, on any backend (what {@link attentionMatMul} uses on WASM). */
export function slicedMatMul<T extends Tensor>(a: T, b: Tensor): T {
  if (a.rank < 3 || a.rank !== b.rank) throw new Error(`slicedMatMul: expected two tensors of the same rank ≥ 3, got [${a.shape}] and [${b.shape}]`);
  return slicedOp(a, b) as T;
}

/** `a·b` for attention's `[B, H, T, ·]` operands: per slice on WASM, tf.matMul elsewhere. */
export function attentionMatMul<T extends Tensor>(a: T, b: Tensor): T {
  return tf.getBackend() === 'wasm' ? slicedMatMul(a, b) : (tf.matMul(a, b) as T);
}
