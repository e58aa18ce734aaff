/**
 * The Python venv manager shared by the benches (and later golden tests): the commands an install runs,
 * when an existing venv is reused or installed into again (its stamp), and a Python named by the
 * spec's environment variable being used as it is after its import check. Nothing is downloaded here.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATATROVE_VENV, installCommands, pythonVenv, TORCH_VENV, upToDate, venvPaths, type VenvSpec } from '../../../infra/python-venv.ts';

const spec: VenvSpec = { name: 'x-venv', packages: ['alpha==1.0', 'beta'], imports: ['alpha', 'beta.sub'], pythonEnv: 'BRAISE_X_PYTHON', note: 'tiny' };

let tools: string;
beforeEach(async () => {
  tools = await mkdtemp(join(tmpdir(), 'braise-venv-test-'));
});
afterEach(async () => {
  await rm(tools, { recursive: true, force: true });
});

describe('installCommands', () => {
  it('creates the venv under the tools dir, installs every package in one pip call, then imports each module', () => {
    const py = join(tools, 'x-venv', 'bin', 'python');
    expect(installCommands(spec, tools, { exists: false })).toEqual([
      { file: 'python3', args: ['-m', 'venv', join(tools, 'x-venv')] },
      { file: py, args: ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', 'alpha==1.0', 'beta'] },
      { file: py, args: ['-c', 'import alpha; import beta.sub'] },
    ]);
  });

  it('installs into an existing venv without recreating it, with the base Python given', () => {
    const cmds = installCommands(spec, tools, { exists: true, basePython: '/usr/bin/python3.11' });
    expect(cmds.map((c) => c.args[0])).toEqual(['-m', '-c']);
    expect(cmds.some((c) => c.file === '/usr/bin/python3.11')).toBe(false);
    expect(installCommands(spec, tools, { exists: false, basePython: '/usr/bin/python3.11' })[0]!.file).toBe('/usr/bin/python3.11');
  });

  it('asks for datatrove with the regex module its filters import, pinned to the golden tests’ versions', () => {
    expect(DATATROVE_VENV.packages).toEqual(expect.arrayContaining(['datatrove==0.10.1', 'spacy==3.8.18', 'regex']));
    expect(DATATROVE_VENV.imports).toContain('datatrove.pipeline.filters');
    expect(TORCH_VENV).toMatchObject({ name: 'torch-venv', pythonEnv: 'BRAISE_TORCH_PYTHON' });
    expect(TORCH_VENV.packages.some((p) => p.startsWith('torch=='))).toBe(true);
  });
});

describe('upToDate', () => {
  it('holds only for a stamp that lists exactly the spec’s packages', () => {
    expect(upToDate(spec, JSON.stringify({ packages: ['alpha==1.0', 'beta'] }))).toBe(true);
    expect(upToDate(spec, JSON.stringify({ packages: ['alpha==1.0'] }))).toBe(false); // a package added since: install again
    expect(upToDate(spec, JSON.stringify({ packages: ['alpha==0.9', 'beta'] }))).toBe(false);
    expect(upToDate(spec, null)).toBe(false);
    expect(upToDate(spec, 'not json')).toBe(false);
  });
});

describe('pythonVenv', () => {
  it('reuses a venv whose stamp matches, running nothing', async () => {
    const { dir, python, stamp } = venvPaths(spec, tools);
    await mkdir(dir, { recursive: true });
    await writeFile(stamp, JSON.stringify({ packages: spec.packages }));
    const lines: string[] = [];
    await expect(pythonVenv(spec, { toolsDir: tools, env: {}, log: (l) => lines.push(l) })).resolves.toBe(python);
    expect(lines).toEqual([]);
  });

  it('uses the Python named by the spec’s variable when it imports the modules', async () => {
    const ok: VenvSpec = { ...spec, imports: ['json', 'os.path'] };
    await expect(pythonVenv(ok, { toolsDir: tools, env: { BRAISE_X_PYTHON: 'python3' } })).resolves.toBe('python3');
  });

  it('names the variable and the modules when that Python lacks them', async () => {
    const missing: VenvSpec = { ...spec, imports: ['braise_no_such_module'] };
    await expect(pythonVenv(missing, { toolsDir: tools, env: { BRAISE_X_PYTHON: 'python3' } })).rejects.toThrow(
      /BRAISE_X_PYTHON=python3: cannot import braise_no_such_module: .*No module named 'braise_no_such_module'/,
    );
  });

  it('says which command failed and how to avoid the install when it cannot make the venv', async () => {
    const lines: string[] = [];
    await expect(
      pythonVenv(spec, { toolsDir: tools, env: {}, basePython: join(tools, 'no-python'), log: (l) => lines.push(l) }),
    ).rejects.toThrow(/x-venv: `.*no-python -m venv .*x-venv` failed: .*\(or set BRAISE_X_PYTHON to a Python that has them\)/);
    expect(lines).toEqual([`installing alpha==1.0 beta into ${join(tools, 'x-venv')} (once; tiny)…`]);
  });
});
