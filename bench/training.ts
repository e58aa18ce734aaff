/**
 * `npm run bench -- training`: training throughput, Braise on each backend it can select here vs
 * PyTorch on CPU, on the two models of issue 10, measured in one run so the ratios compare like with
 * like on the same machine at the same moment.
 *
 * PyTorch (bench/torch_train_bench.py: the architecture of ml/gpt.ts written in torch) runs with 1 thread
 * and with every core this process may use; it comes from BRAISE_TORCH_PYTHON or the venv
 * <home>/tools/torch-venv made on first use (infra/python-venv.ts). Each Braise backend
 * (`tensorflow`, `wasm`, `cpu`) runs in its own process (bench/training-braise.ts) with
 * BRAISE_TF_BACKEND set to it; one that cannot be selected shows `not set up: <reason>`. Every row is
 * warm (the first steps are not timed) and is the median of a few timed rounds of a fixed step count.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { table } from '../cli/render.ts';
import { loadConfig } from '../infra/config.ts';
import { pythonVenv, TORCH_VENV } from '../infra/python-venv.ts';
import { paramSpecs } from '../ml/gpt.ts';
import { mulberry32, normalArray } from '../ml/random.ts';
import {
  architectureMismatch,
  BENCH_MODELS,
  BRAISE_BACKENDS,
  braiseResultSchema,
  medianRound,
  PLAIN_JS_BUDGET_SEC,
  PLAIN_JS_SCHEDULE,
  stepFlops,
  torchResultSchema,
  trainingTable,
  type BenchModel,
  type ModelResult,
  type Schedule,
  type TrainingJob,
  type TrainingRow,
} from './training-format.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs a child to the end; resolves with its last stdout line that is a JSON object, or rejects with its stderr's tail. */
function runJson(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
      if (code === 0 && line !== undefined) resolve(JSON.parse(line));
      else reject(new Error(`exit ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

const configOf = (m: BenchModel) => ({ arch: 'gpt', tokenizer: 'byte', layers: m.layers, dModel: m.dModel, heads: m.heads, context: m.context }) as const;
const paramCount = (m: BenchModel): number => paramSpecs(configOf(m)).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);

/**
 * The initial weights every Braise row starts from (ml/gpt.ts createModel(config, 1), made the same way
 * here without a backend), written for the PyTorch side as float32 in paramSpecs order.
 */
async function writeInitialWeights(m: BenchModel, file: string): Promise<void> {
  const rng = mulberry32(1);
  const parts = paramSpecs(configOf(m)).map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    return spec.init === 'normal' ? normalArray(rng, size, spec.std) : new Float32Array(size).fill(spec.init === 'ones' ? 1 : 0);
  });
  await writeFile(file, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}

async function torchRow(py: string, m: BenchModel, weights: string, threads: number, anchor: 'torch1' | 'torchN'): Promise<TrainingRow> {
  const label = `PyTorch CPU`;
  try {
    const arg = { layers: m.layers, dModel: m.dModel, heads: m.heads, context: m.context, batch: m.batch, threads, ...m.schedule, weights };
    const r = torchResultSchema.parse(await runJson(py, [`${HERE}torch_train_bench.py`, JSON.stringify(arg)], process.env));
    const version = r.torch.split('+')[0] ?? r.torch;
    return { label: `PyTorch ${version} CPU`, anchor, threads: String(r.threads), params: r.params, firstLoss: r.firstLoss, loss: r.loss, steps: m.schedule.steps, rounds: r.rounds };
  } catch (err) {
    return { label, anchor, reason: `failed: ${(err as Error).message}` };
  }
}

async function braiseRow(backend: TrainingJob['backend'], m: BenchModel, schedule: Schedule): Promise<TrainingRow> {
  const label = `Braise ${backend}`;
  const job: TrainingJob = { backend, layers: m.layers, dModel: m.dModel, heads: m.heads, context: m.context, batch: m.batch, ...schedule };
  try {
    const out = await runJson(process.execPath, ['--import', TSX, `${HERE}training-braise.ts`, JSON.stringify(job)], {
      ...process.env,
      BRAISE_TF_BACKEND: backend,
    });
    const r = braiseResultSchema.parse(out);
    if (!r.ok) return { label, reason: `not set up: ${r.reason}` };
    return { label, threads: r.threads, params: r.params, firstLoss: r.firstLoss, loss: r.loss, steps: schedule.steps, rounds: r.rounds };
  } catch (err) {
    return { label, reason: `failed: ${(err as Error).message}` };
  }
}

/** The checkout's commit (with `+` when the tree has changes), for the table's label. */
function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: HERE, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: HERE, encoding: 'utf8' }).trim() !== '';
    return `${head}${dirty ? '+' : ''}`;
  } catch {
    return 'unknown';
  }
}

export async function trainingBench(): Promise<void> {
  const cores = availableParallelism();
  let torchPy: string | null = null;
  let torchMissing = '';
  try {
    torchPy = await pythonVenv(TORCH_VENV, { toolsDir: loadConfig().toolsDir, log: (m) => console.error(m) });
  } catch (err) {
    torchMissing = `not set up: ${(err as Error).message}`;
  }
  // Other processes on these cores slow every row; the header says how busy the machine was.
  const loadBefore = loadavg()[0]!;
  const scratch = await mkdtemp(join(tmpdir(), 'braise-bench-training-'));
  const results: ModelResult[] = [];
  /** Plain-JS seconds per FLOP, from the first model it ran on: the estimate that decides whether it runs on the next. */
  let plainSecPerFlop: number | null = null;
  for (const m of BENCH_MODELS) {
    console.error(`training bench: ${m.name}…`);
    const rows: TrainingRow[] = [];
    const weights = join(scratch, `${m.layers}x${m.dModel}.f32`);
    await writeInitialWeights(m, weights);
    const threadCounts = cores > 1 ? [1, cores] : [1];
    for (const [i, threads] of threadCounts.entries()) {
      const anchor = i === 0 ? 'torch1' : 'torchN';
      rows.push(torchPy === null ? { label: 'PyTorch CPU', anchor, reason: torchMissing } : await torchRow(torchPy, m, weights, threads, anchor));
    }
    for (const backend of BRAISE_BACKENDS) {
      if (backend !== 'cpu') {
        rows.push(await braiseRow(backend, m, m.schedule));
        continue;
      }
      const stepsTotal = PLAIN_JS_SCHEDULE.warmup + PLAIN_JS_SCHEDULE.rounds * PLAIN_JS_SCHEDULE.steps;
      const estimate = plainSecPerFlop === null ? null : plainSecPerFlop * stepFlops(m);
      if (estimate !== null && estimate * stepsTotal > PLAIN_JS_BUDGET_SEC) {
        rows.push({
          label: 'Braise cpu',
          reason: `skipped: plain JS would take ~${estimate.toFixed(0)} s a step here (its small-model step scaled by FLOPs), ~${((estimate * stepsTotal) / 60).toFixed(0)} min for ${stepsTotal} steps`,
        });
        continue;
      }
      const row = await braiseRow('cpu', m, PLAIN_JS_SCHEDULE);
      if ('rounds' in row) plainSecPerFlop = medianRound(row.rounds).wallSec / row.steps / stepFlops(m);
      rows.push(row);
    }
    results.push({ model: m, params: paramCount(m), rows });
  }
  await rm(scratch, { recursive: true, force: true });
  const cpu = cpus()[0]?.model.trim() ?? process.arch;
  const load = `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`;
  console.log(`training throughput, B=16, AdamW, tied head, GELU: ${new Date().toISOString().slice(0, 16)}Z, commit ${commit()}`);
  console.log(`${cpu}, ${cores} cores available, ${load}, node ${process.version}\n`);
  console.log(
    'Each row runs in its own process: warm-up steps untimed, then rounds of TIMED STEPS; S/STEP and TOK/S are the\n' +
      'median round\'s wall time, CPU/WALL its CPU seconds per wall second (the cores it kept busy), TOK/CPU-S its tokens\n' +
      'per CPU second. LOSS FIRST→LAST: from the same initial weights on the same batch (the same on every row that\n' +
      `runs the same steps: the same model and update). × PYTORCH 1T / ALL: tok/s over PyTorch's with 1 / ${cores} threads.\n`,
  );
  console.log(table(trainingTable(results)));
  const mismatch = architectureMismatch(results);
  if (mismatch !== null) {
    console.log(`\nNOT THE SAME MODEL: ${mismatch}; the ratios compare different models.`);
    process.exitCode = 1;
  }
}
