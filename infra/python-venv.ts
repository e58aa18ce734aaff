/**
 * Python tools Braise compares itself with (datatrove for the filter bench, PyTorch for the training
 * bench and, later, golden tests) live in virtual environments under the home's `tools/`, made on first
 * use from PyPI with pip, never system-wide. One module owns them so every user of a venv asks for the
 * same packages (the specs below) and one install serves all.
 *
 * A venv records the packages it was installed with (`braise-venv.json`): when a spec changes (a
 * package added, a pin moved) the next use installs into the same venv again, so an old venv missing a
 * dependency (datatrove without `regex`) mends itself. After an install the spec's `imports` must load,
 * so a broken install fails here with the failing import named, not later in the tool.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';

const run = promisify(execFile);

export interface VenvSpec {
  /** The venv's folder under the tools directory. */
  name: string;
  /** pip requirement specifiers, installed together. */
  packages: readonly string[];
  /** Modules that must import once installed (the smoke check). */
  imports: readonly string[];
  /** An environment variable naming a Python to use instead (nothing is installed then). */
  pythonEnv: string;
  /** Said on the progress line before an install: how big and how long. */
  note: string;
}

/**
 * datatrove's filters as the golden tests were made with them (test/unit/filter/*-datatrove.json record
 * datatrove 0.10.1 and spacy 3.8.18). `regex` is imported by datatrove.utils.text but only declared in
 * datatrove's `processing` extra, whose other packages the filters do not need.
 */
export const DATATROVE_VENV: VenvSpec = {
  name: 'datatrove-venv',
  packages: ['datatrove==0.10.1', 'spacy==3.8.18', 'regex'],
  imports: ['datatrove.pipeline.filters', 'regex', 'spacy'],
  pythonEnv: 'BRAISE_DATATROVE_PYTHON',
  note: 'about 300 MB, under a minute',
};

/**
 * PyTorch (run on CPU). PyPI's Linux wheel is the CUDA build and its libraries link the CUDA runtime
 * wheels (libtorch_cpu.so needs libcudart and libcupti, libtorch.so needs libtorch_cuda.so and so cuDNN,
 * cuBLAS, NCCL…), so `--no-deps` with only the small pure-Python dependencies does not import; the full
 * install (about 5 GB, triton included) is the lightest that works from PyPI alone.
 */
export const TORCH_VENV: VenvSpec = {
  name: 'torch-venv',
  packages: ['torch==2.15.0', 'numpy'],
  imports: ['torch'],
  pythonEnv: 'BRAISE_TORCH_PYTHON',
  note: 'about 5 GB with its CUDA runtime wheels, a minute or two',
};

/** One process to run: what the install does, in order (unit-tested as data). */
export interface Command {
  file: string;
  args: string[];
}

const STAMP = 'braise-venv.json';
const stampSchema = z.object({ packages: z.array(z.string()) });

/** Where a venv lives and its interpreter. */
export function venvPaths(spec: VenvSpec, toolsDir: string): { dir: string; python: string; stamp: string } {
  const dir = join(toolsDir, spec.name);
  return { dir, python: join(dir, 'bin', 'python'), stamp: join(dir, STAMP) };
}

/** The smoke check: import every module of the spec, in one interpreter. */
export function importCheck(spec: VenvSpec, python: string): Command {
  return { file: python, args: ['-c', spec.imports.map((m) => `import ${m}`).join('; ')] };
}

/**
 * The commands that make or update the venv: `python3 -m venv` when it has no interpreter yet, then one
 * pip install of every package, then the import check.
 */
export function installCommands(spec: VenvSpec, toolsDir: string, opts: { exists: boolean; basePython?: string }): Command[] {
  const { dir, python } = venvPaths(spec, toolsDir);
  return [
    ...(opts.exists ? [] : [{ file: opts.basePython ?? 'python3', args: ['-m', 'venv', dir] }]),
    { file: python, args: ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...spec.packages] },
    importCheck(spec, python),
  ];
}

/** Whether a venv's stamp says it holds exactly this spec's packages. */
export function upToDate(spec: VenvSpec, stampText: string | null): boolean {
  if (stampText === null) return false;
  try {
    const parsed = stampSchema.safeParse(JSON.parse(stampText));
    return parsed.success && JSON.stringify(parsed.data.packages) === JSON.stringify(spec.packages);
  } catch {
    return false;
  }
}

async function exec(c: Command): Promise<void> {
  try {
    await run(c.file, c.args, { timeout: 30 * 60_000, maxBuffer: 1 << 26 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    const tail = (e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ');
    throw new Error(`\`${[c.file, ...c.args].join(' ')}\` failed: ${tail}`, { cause: err });
  }
}

/**
 * The interpreter of `spec`'s venv under `toolsDir`, made or updated first when needed (one progress
 * line through `log`). When the spec's environment variable names a Python, that one is used as it is,
 * after the import check. Throws one line naming what failed.
 */
export async function pythonVenv(
  spec: VenvSpec,
  opts: { toolsDir: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void; basePython?: string },
): Promise<string> {
  const fromEnv = (opts.env ?? process.env)[spec.pythonEnv];
  if (fromEnv) {
    await exec(importCheck(spec, fromEnv)).catch((err: Error) => {
      throw new Error(`${spec.pythonEnv}=${fromEnv}: cannot import ${spec.imports.join(', ')}: ${err.message}`, { cause: err });
    });
    return fromEnv;
  }
  const { dir, python, stamp } = venvPaths(spec, opts.toolsDir);
  const stampText = await readFile(stamp, 'utf8').catch(() => null);
  if (upToDate(spec, stampText)) return python;
  const exists = await readFile(join(dir, 'pyvenv.cfg'), 'utf8').then(() => true, () => false);
  opts.log?.(`installing ${spec.packages.join(' ')} into ${dir} (once; ${spec.note})…`);
  try {
    for (const c of installCommands(spec, opts.toolsDir, { exists, ...(opts.basePython ? { basePython: opts.basePython } : {}) })) await exec(c);
  } catch (err) {
    throw new Error(`${spec.name}: ${(err as Error).message} (or set ${spec.pythonEnv} to a Python that has them)`, { cause: err });
  }
  await writeFile(stamp, JSON.stringify({ packages: spec.packages }) + '\n');
  return python;
}
