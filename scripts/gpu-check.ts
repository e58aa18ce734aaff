/**
 * The measuring half of scripts/gpu-check.sh: trains the large model of the PyTorch comparison
 * (4 layers, d 256, 8 heads, T 256, B 16) on the native backend and prints tokens/s and the device
 * TensorFlow ran it on. `--expect gpu` fails (exit 1) unless TensorFlow placed the work on a GPU.
 *   npx tsx scripts/gpu-check.ts --steps 50 --expect gpu
 */
import { parseArgs } from 'node:util';
import { backendInfo, selectBackend } from '../ml/backend.ts';
import { BENCH_MODELS, benchStep } from '../ml/step-bench.ts';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '50' }, expect: { type: 'string' } } });
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps: expected a whole number ≥ 1, got '${values.steps}'`);

await selectBackend('tensorflow');
const info = backendInfo();
console.log(`gpu-check: backend ${info.backend}, TensorFlow ${info.tensorflowVersion}, device ${info.device}, ${info.threads} CPU threads`);
if (values.expect !== undefined && info.device !== values.expect) {
  console.error(
    `gpu-check: TensorFlow runs on ${info.device}, expected ${values.expect}: tfjs-node-gpu loaded but TensorFlow found no usable GPU ` +
      '(check nvidia-smi, that the driver supports CUDA 12.3, and the LD_LIBRARY_PATH gpu-check.sh sets)',
  );
  process.exit(1);
}
const config = BENCH_MODELS.large;
const t = await benchStep(config, 16, steps);
const tokS = (16 * config.context) / t.wallSec;
console.log(`gpu-check: ${info.device} large model, ${steps} steps: ${t.wallSec.toFixed(3)} s/step, ${tokS.toFixed(0)} tok/s`);
console.log(`RESULT ${info.device} ${tokS.toFixed(0)}`);
