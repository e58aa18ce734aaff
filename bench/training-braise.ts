/**
 * One Braise side of `npm run bench -- training`, run in its own process (a TensorFlow.js backend is
 * chosen once per process, and a fresh process keeps one backend's memory and threads out of the next
 * one's timing). Selects the backend through BRAISE_TF_BACKEND / ml/backend.ts as training does, then
 * times the training step of ml/train-step.ts exactly as bench/torch_train_bench.py times PyTorch's:
 * a fixed batch, `warmup` steps not timed, then `rounds` rounds of `steps` steps, each round's wall
 * and CPU seconds.
 *
 * Usage: tsx bench/training-braise.ts '<TrainingJob JSON>'; prints one JSON line (BraiseResult).
 */
import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { selectBackend } from '../ml/backend.ts';
import { createModel, paramSpecs } from '../ml/gpt.ts';
import { AdamW } from '../ml/optim.ts';
import { trainStep } from '../ml/train-step.ts';
import { trainingJobSchema, type BraiseResult } from './training-format.ts';

const job = trainingJobSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
try {
  await selectBackend(job.backend);
} catch (err) {
  console.log(JSON.stringify({ ok: false, reason: (err as Error).message.split('\n')[0] ?? String(err) } satisfies BraiseResult));
  process.exit(0);
}
if (tf.getBackend() !== job.backend) {
  // BRAISE_TF_BACKEND in the caller's environment would override the backend asked for; the parent sets it, so this is a bug.
  throw new Error(`asked for backend '${job.backend}', got '${tf.getBackend()}'`);
}

const config = { arch: 'gpt', tokenizer: 'byte', layers: job.layers, dModel: job.dModel, heads: job.heads, context: job.context } as const;
const model = createModel(config, 1);
const opt = new AdamW(model.params, { weightDecay: 0.1 });
const B = job.batch;
const T = job.context;
// Token i of the stream is (i·7919) mod 256, as in ml/step-bench.ts and the PyTorch side.
const data = Int32Array.from({ length: B * (T + 1) }, (_, i) => (i * 7919) % 256);
const x = tf.tensor2d(data.subarray(0, B * T), [B, T], 'int32');
const y = tf.tensor2d(data.subarray(1, 1 + B * T), [B, T], 'int32');
const step = () => trainStep(model, opt, x, y, { lr: 1e-3, gradClip: 1 });

// The first step's loss is the loss of the initial weights (trainStep reports it before updating).
const firstLoss = (await step()).loss;
for (let i = 1; i < job.warmup; i++) await step();
const rounds: { wallSec: number; cpuSec: number }[] = [];
let loss = 0;
for (let r = 0; r < job.rounds; r++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < job.steps; i++) loss = (await step()).loss;
  const cpu = process.cpuUsage(c0);
  rounds.push({ wallSec: (performance.now() - t0) / 1000, cpuSec: (cpu.user + cpu.system) / 1e6 });
}
/**
 * Threads the backend computes with: WASM says (1 unless its threaded build loaded); plain JS has one;
 * native TensorFlow sizes its pools by BRAISE_THREADS, else every core this process may use.
 */
async function threads(): Promise<string> {
  if (job.backend === 'wasm') return String((await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount());
  if (job.backend === 'cpu') return '1';
  return process.env['BRAISE_THREADS'] || String(availableParallelism());
}
const params = paramSpecs(config).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
console.log(JSON.stringify({ ok: true, backend: tf.getBackend(), threads: await threads(), params, rounds, firstLoss, loss } satisfies BraiseResult));
