import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { matMulT } from './layers.ts';

/**
 * Gradients for the kernels Braise's models and losses use.
 *
 * `@tensorflow/tfjs-core`'s Node build registers kernels but no gradients: the umbrella
 * `@tensorflow/tfjs` package normally does that, and its ESM gradient files cannot be imported from
 * Node (extensionless specifiers). These are the same formulas as tfjs-core's `src/gradients/*`,
 * first-order only, except that matmul gradients use explicit transposes (see layers.ts). A kernel that already has a gradient (e.g. tfjs-node registered them) is left alone.
 */
const bu = tf.backend_util;

function unbroadcast(g: Tensor, shape: number[], outShape: number[]): Tensor {
  const axes = bu.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, shape);
}

function binary(
  kernelName: string,
  da: (dy: Tensor, a: Tensor, b: Tensor) => Tensor,
  db: (dy: Tensor, a: Tensor, b: Tensor) => Tensor,
): GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [Tensor, Tensor];
      const g = dy as Tensor;
      const out = bu.assertAndGetBroadcastShape(a.shape, b.shape);
      return { a: () => unbroadcast(da(g, a, b), a.shape, out), b: () => unbroadcast(db(g, a, b), b.shape, out) };
    },
  };
}

function unaryX(kernelName: string, d: (dy: Tensor, x: Tensor) => Tensor): GradConfig {
  return { kernelName, inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => d(dy as Tensor, saved[0]!) }) };
}

function unaryY(kernelName: string, d: (dy: Tensor, y: Tensor) => Tensor): GradConfig {
  return { kernelName, outputsToSave: [true], gradFunc: (dy, saved) => ({ x: () => d(dy as Tensor, saved[0]!) }) };
}

function reduceGrad(kernelName: string, scaleBySize: boolean): GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs: NamedAttrMap) => {
      const [x] = saved as [Tensor];
      const axes = tf.util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
      const expanded = x.shape.slice();
      let size = 1;
      for (const a of axes) {
        expanded[a] = 1;
        size *= x.shape[a]!;
      }
      return {
        x: () => {
          const g = tf.reshape(dy as Tensor, expanded);
          // A broadcasting multiply; tf.broadcastTo (Tile) is several times slower on WASM.
          return tf.mul(scaleBySize ? tf.div(g, size) : g, tf.ones(x.shape));
        },
      };
    },
  };
}

const f32 = (t: Tensor): Tensor => tf.cast(t, 'float32');

const CONFIGS: GradConfig[] = [
  binary('Add', (dy) => dy, (dy) => dy),
  binary('Sub', (dy) => dy, (dy) => tf.neg(dy)),
  binary('Multiply', (dy, _a, b) => tf.mul(dy, f32(b)), (dy, a) => tf.mul(dy, f32(a))),
  binary(
    'RealDiv',
    (dy, _a, b) => tf.div(dy, f32(b)),
    (dy, a, b) => tf.neg(tf.div(tf.mul(dy, f32(a)), f32(tf.square(b)))),
  ),
  binary('Maximum', (dy, a, b) => tf.mul(dy, f32(tf.greaterEqual(a, b))), (dy, a, b) => tf.mul(dy, f32(tf.less(a, b)))),
  binary('Minimum', (dy, a, b) => tf.mul(dy, f32(tf.lessEqual(a, b))), (dy, a, b) => tf.mul(dy, f32(tf.greater(a, b)))),
  { kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.neg(dy as Tensor) }) },
  { kernelName: 'Cast', gradFunc: (dy) => ({ x: () => (dy as Tensor).clone() }) },
  { kernelName: 'Identity', gradFunc: (dy) => ({ x: () => f32(dy as Tensor) }) },
  unaryX('Square', (dy, x) => tf.mul(dy, tf.mul(f32(x), 2))),
  unaryX('Rsqrt', (dy, x) => tf.neg(tf.div(dy, tf.mul(tf.pow(x, 1.5), 2)))),
  unaryX('Sqrt', (dy, x) => tf.div(dy, tf.mul(tf.sqrt(f32(x)), 2))),
  unaryX('Log', (dy, x) => tf.div(dy, f32(x))),
  unaryX('Erf', (dy, x) => tf.mul(dy, tf.mul(tf.exp(tf.neg(tf.square(x))), 2 / Math.sqrt(Math.PI)))),
  unaryX('Softplus', (dy, x) => tf.mul(dy, tf.sigmoid(x))),
  unaryY('Exp', (dy, y) => tf.mul(dy, y)),
  unaryY('Tanh', (dy, y) => tf.mul(tf.sub(1, tf.square(y)), dy)),
  unaryY('Sigmoid', (dy, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))),
  unaryX('Expm1', (dy, x) => tf.mul(dy, tf.exp(f32(x)))),
  {
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [Tensor];
      const inside = tf.logicalAnd(
        tf.greaterEqual(x, attrs['clipValueMin'] as number),
        tf.lessEqual(x, attrs['clipValueMax'] as number),
      );
      return { x: () => tf.where(inside, dy as Tensor, tf.zerosLike(dy as Tensor)) };
    },
  },
  reduceGrad('Sum', false),
  reduceGrad('Mean', true),
  { kernelName: 'Reshape', inputsToSave: ['x'], gradFunc: (dy, s) => ({ x: () => tf.reshape(dy as Tensor, s[0]!.shape) }) },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _s, attrs) => ({
      x: () => tf.transpose(dy as Tensor, bu.getUndoAxesPermutation(attrs['perm'] as number[])),
    }),
  },
  { kernelName: 'SplitV', gradFunc: (dy, _s, attrs) => ({ x: () => tf.concat(dy as Tensor[], attrs['axis'] as number) }) },
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = tf.util.parseAxisParam(attrs['axis'] as number, saved[0]!.shape)[0]!;
      const parts = tf.split(dy as Tensor, saved.map((t) => t.shape[axis]!), axis);
      return Object.fromEntries(parts.map((t, i) => [i, () => t]));
    },
  },
  {
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [Tensor];
      const [begin, size] = tf.slice_util.parseSliceParams(x, attrs['begin'] as number[], attrs['size'] as number[]);
      const paddings = x.shape.map((n, i) => [begin![i]!, n - begin![i]! - size![i]!] as [number, number]);
      return { x: () => tf.pad(dy as Tensor, paddings) };
    },
  },
  {
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [y] = saved as [Tensor];
      const dyY = tf.mul(dy as Tensor, y);
      return { logits: () => tf.sub(dyY, tf.mul(tf.sum(dyY, [attrs['dim'] as number], true), y)) };
    },
  },
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [Tensor, Tensor];
      const g = dy as Tensor;
      const tA = attrs['transposeA'] as boolean;
      const tB = attrs['transposeB'] as boolean;
      if (!tA && !tB) return { a: () => matMulT(g, b, false, true), b: () => matMulT(a, g, true, false) };
      if (!tA && tB) return { a: () => matMulT(g, b, false, false), b: () => matMulT(g, a, true, false) };
      if (tA && !tB) return { a: () => matMulT(b, g, false, true), b: () => matMulT(a, g, false, false) };
      return { a: () => matMulT(b, g, true, true), b: () => matMulT(g, a, true, true) };
    },
  },
];

let registered = false;

/** Registers the gradients above (once per process; safe to call repeatedly). */
export function registerGradients(): void {
  if (registered) return;
  registered = true;
  for (const config of CONFIGS) {
    // getGradient is typed as always returning a config, but yields undefined for an unknown kernel.
    if ((tf.getGradient(config.kernelName) as GradConfig | undefined) === undefined) tf.registerGradient(config);
  }
}

registerGradients();
