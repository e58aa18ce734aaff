/** `braise run` on a statically wrong or hostile recipe exits 2 with the path and line, before anything starts. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../../../cli/commands/run.ts';
import { EXIT } from '../../../cli/io.ts';
import { REFUSALS } from '../recipe/refusals.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'braise-run-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function run(name: string, text: string): Promise<{ code: number; stderr: string }> {
  const file = join(dir, name);
  await writeFile(file, text);
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await runCommand(file, {}), stderr };
  } finally {
    spy.mockRestore();
  }
}

const RECIPE = `apiVersion: braise/v1
name: cli
datasets:
  web: { source: builtin:brown, genres: [a] }
stages:
  - id: base
    kind: pretrain
    inputs: [web]
    with: { steps: 2 }
`;

describe('braise run validation', () => {
  it('exits 2 naming an unknown built-in dataset with its line', async () => {
    const { code, stderr } = await run('builtin.yaml', RECIPE.replace('builtin:brown', 'builtin:brwn'));
    expect(code).toBe(EXIT.invalid);
    expect(stderr).toMatch(/line 4: datasets\.web\.source: unknown built-in dataset "brwn" \(did you mean "brown"\?\)/);
  });

  it('exits 2 on a YAML alias bomb, with the line', async () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [p, n] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g']]) lines.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(',')}]`);
    const { code, stderr } = await run('bomb.yaml', `apiVersion: braise/v1\n${lines.join('\n')}\n`);
    expect(code).toBe(EXIT.invalid);
    expect(stderr).toMatch(/line 3: \(recipe\): YAML: aliases expand to too large a document/);
  });

  it('exits 2 on a training stage too large for the worker', async () => {
    const big = RECIPE.replace('datasets:', 'model: { layers: 48, dModel: 4096, heads: 64, context: 4096 }\ndatasets:').replace('{ steps: 2 }', '{ steps: 2, batchSize: 4096 }');
    const { code, stderr } = await run('big.yaml', big);
    expect(code).toBe(EXIT.invalid);
    expect(stderr).toMatch(/stages\[0\]\.with: estimated training memory .* exceeds the worker's/);
  });

  it.each(REFUSALS)('exits 2 on $name, naming the path and line', async ({ text, path, line, message }) => {
    const { code, stderr } = await run(`refusal-${line}-${path.replace(/\W/g, '')}.yaml`, text);
    expect(code).toBe(EXIT.invalid);
    expect(stderr).toContain(`line ${line}: ${path}: ${message}`);
  });
});
