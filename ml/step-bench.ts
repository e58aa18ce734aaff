import * as tf from '@tensorflow/tfjs-core';
import { pathToFileURL } from 'node:url';
import { selectBackend, type BackendPreference } from './backend.ts';
import { createModel, type ModelConfig } from './gpt.ts';
import { AdamW } from './optim.ts';
import { trainStep } from './train-step.ts';

/** Steady-state cost of one training step. */
export interface StepTiming {
  backend: string;
  /** Mean wall seconds per step after warm-up. */
  wallSec: number;
  /** Mean CPU seconds per step (user + system) after warm-up: robust to other load on the machine. */
  cpuSec: number;
  /** Live tensors after each measured step; a constant list means nothing leaks. */
  tensorCounts: number[];
}

/** Times `steps` training steps of a fresh model on a fixed batch (after 2 warm-up steps). */
export async function benchStep(config: ModelConfig, batchSize: number, steps = 10): Promise<StepTiming> {
  const model = createModel(config, 1);
  const opt = new AdamW(model.params, { weightDecay: 0.1 });
  const T = config.context;
  const data = Int32Array.from({ length: batchSize * (T + 1) }, (_, i) => (i * 7919) % 256);
  const x = tf.tensor2d(data.subarray(0, batchSize * T), [batchSize, T], 'int32');
  const y = tf.tensor2d(data.subarray(1, 1 + batchSize * T), [batchSize, T], 'int32');
  try {
    for (let i = 0; i < 2; i++) await trainStep(model, opt, x, y, { lr: 1e-3, gradClip: 1 });
    const tensorCounts: number[] = [];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      await trainStep(model, opt, x, y, { lr: 1e-3, gradClip: 1 });
      tensorCounts.push(tf.memory().numTensors);
    }
    const cpu = process.cpuUsage(c0);
    return {
      backend: tf.getBackend(),
      wallSec: (performance.now() - t0) / 1000 / steps,
      cpuSec: (cpu.user + cpu.system) / 1e6 / steps,
      tensorCounts,
    };
  } finally {
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  }
}

/** The two models of ISSUE10's comparison with PyTorch CPU (B = 16). */
export const BENCH_MODELS: Record<'small' | 'large', ModelConfig> = {
  small: { arch: 'gpt', layers: 2, dModel: 64, heads: 4, context: 64, tokenizer: 'byte' },
  large: { arch: 'gpt', layers: 4, dModel: 256, heads: 8, context: 256, tokenizer: 'byte' },
};

// `npx tsx ml/step-bench.ts [auto|tensorflow|wasm|cpu] [small|large] [steps]`: tokens/s of B=16 training steps.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await selectBackend((process.argv[2] ?? 'auto') as BackendPreference);
  const names = process.argv[3] === undefined ? (['small', 'large'] as const) : [process.argv[3] as 'small' | 'large'];
  for (const name of names) {
    const config = BENCH_MODELS[name];
    const t = await benchStep(config, 16, Number(process.argv[4] ?? 10));
    const leak = new Set(t.tensorCounts).size === 1 ? 'flat' : `LEAK ${t.tensorCounts.join(',')}`;
    const tokS = (16 * config.context) / t.wallSec;
    console.log(`${t.backend} ${name} L=${config.layers} d=${config.dModel} T=${config.context} B=16: ${t.wallSec.toFixed(3)} s/step wall, ${t.cpuSec.toFixed(3)} s/step cpu, ${tokS.toFixed(0)} tok/s, tensors ${leak}`);
  }
}
