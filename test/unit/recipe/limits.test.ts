/**
 * Hostile recipes: each is refused with a RecipeError naming where (path, and line for text) within a
 * second — never a stack overflow, a hang or an error the API would turn into a 500.
 */
import { describe, expect, it } from 'vitest';
import { compileRecipe, formatBytes, LIMITS, parseByteSize, parseRecipeText, parseRecipeValue, RecipeError, type RecipeIssue } from '../../../recipe/index.ts';
import { VALID } from './fixtures.ts';

/** The issues of a rejected recipe, asserting it was rejected as a RecipeError quickly. */
function refused(f: () => unknown, withinMs = 1000): RecipeIssue[] {
  const t0 = performance.now();
  try {
    f();
  } catch (err) {
    expect(performance.now() - t0, `answered within ${withinMs} ms`).toBeLessThan(withinMs);
    if (err instanceof RecipeError) return err.issues;
    throw err;
  }
  throw new Error('expected the recipe to be refused');
}

const recipeValue = (stages: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'braise/v1',
  name: 'hostile',
  datasets: { web: { source: 'builtin:brown' } },
  stages,
  ...extra,
});

describe('recipe limits', () => {
  it('stops a YAML alias bomb with a line, not a crash', () => {
    const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [prev, next] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g'], ['g', 'h']]) {
      lol.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const issues = refused(() => parseRecipeText(`apiVersion: braise/v1\nname: bomb\ndescription: x\n${lol.join('\n')}\n`));
    expect(issues[0]!.message).toMatch(/aliases expand to too large a document/);
    expect(issues[0]!.line).toBe(5); // the first alias
  });

  it('refuses 10,000-deep nesting in YAML (flow) and JSON text before the parser recurses', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const yaml = refused(() => parseRecipeText(`apiVersion: braise/v1\nname: deep\nsweep: { matrix: { seed: ${deep} } }\n`));
    expect(yaml[0]).toMatchObject({ line: 3, message: expect.stringMatching(/nested deeper than 32 levels/) });
    const json = refused(() => parseRecipeText(`{"apiVersion": "braise/v1", "sweep": {"matrix": {"seed": ${deep}}}}`));
    expect(json[0]!.message).toMatch(/nested deeper than 32 levels/);
  });

  it('refuses deep block nesting in YAML', () => {
    let text = 'apiVersion: braise/v1\nname: deep\ndescription:\n';
    for (let i = 1; i < 200; i++) text += `${' '.repeat(i)}k:\n`;
    text += `${' '.repeat(200)}v: 1\n`;
    const issues = refused(() => parseRecipeText(text));
    expect(issues[0]!.message).toMatch(/nested deeper than 32 levels/);
    expect(issues[0]!.line).toBeGreaterThan(30);
  });

  it('refuses a 10,000-deep parsed value (an API body) without recursing', () => {
    let v: unknown = 1;
    for (let i = 0; i < 10_000; i++) v = [v];
    const issues = refused(() => parseRecipeValue(recipeValue([], { sweep: { matrix: { seed: v } } })));
    expect(issues[0]!.path).toMatch(/^sweep\.matrix\.seed(\[0\])+$/);
    expect(issues[0]!.message).toMatch(/nested deeper than 32 levels/);
  });

  it('refuses a cyclic value made with YAML aliases', () => {
    const issues = refused(() => parseRecipeText('apiVersion: braise/v1\nname: cyc\ndescription: &a [*a]\n'));
    expect(issues[0]!.message).toMatch(/nested deeper than 32 levels/);
  });

  it('refuses NUL in a stage id and in a with-string, naming the path and line', () => {
    const text = VALID.replace('id: clean', 'id: "cl\\0ean"').replace('checkpointEvery: 10 }', 'checkpointEvery: 10, backend: "wa\\0sm" }');
    const issues = refused(() => parseRecipeText(text));
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['stages[0].id', 8],
      ['stages[1].with.backend', 15],
    ]);
    expect(issues[0]!.message).toMatch(/NUL character/);
    const value = refused(() => parseRecipeValue(recipeValue([{ id: 'a', kind: 'filter', inputs: ['web'], with: { license: { allow: ['MIT\u0000'] } } }])));
    expect(value[0]!.path).toBe('stages[0].with.license.allow[0]');
  });

  it('refuses NUL in a key, showing it escaped', () => {
    const issues = refused(() => parseRecipeValue({ ...recipeValue([]), 'bad\u0000key': 1 }));
    expect(issues[0]!.path).toBe('bad\\u0000key');
  });

  it('refuses 5,000 stages, as YAML and as a value', () => {
    const stages = Array.from({ length: 5000 }, (_, i) => ({ id: `s${i}`, kind: 'filter', inputs: [i === 0 ? 'web' : `s${i - 1}`] }));
    const value = refused(() => parseRecipeValue(recipeValue(stages)));
    expect(value[0]).toMatchObject({ path: 'stages', message: `5000 stages exceed the limit of ${LIMITS.stages}` });
    const yaml = (n: number) =>
      `apiVersion: braise/v1\nname: wide\ndatasets: { web: { source: builtin:brown } }\nstages:\n${stages.slice(0, n).map((s) => `- {id: ${s.id}, kind: filter, inputs: [${s.inputs[0]}]}`).join('\n')}\n`;
    // 5,000 stages of YAML are over the size limit before the (slow) YAML parser sees them; 1,000 fit and are
    // counted once parsed. The yaml library reads 45 KB in 0.3 s to 1.5 s (on a busy 2-core machine): the API
    // parses on a worker thread, so that time never blocks it.
    expect(refused(() => parseRecipeText(yaml(5000)))[0]!.message).toMatch(/over the limit of 64\.0 KiB/);
    expect(refused(() => parseRecipeText(yaml(1000)), 5000)[0]).toMatchObject({ path: 'stages', line: 5, message: `1000 stages exceed the limit of ${LIMITS.stages}` });
  });

  it('refuses too many datasets, too long strings and too large a text', () => {
    const datasets = Object.fromEntries(Array.from({ length: LIMITS.datasets + 1 }, (_, i) => [`d${i}`, { source: 'builtin:brown' }]));
    expect(refused(() => parseRecipeValue({ ...recipeValue([]), datasets }))[0]!.path).toBe('datasets');
    const long = refused(() => parseRecipeValue(recipeValue([], { description: 'x'.repeat(LIMITS.stringLength + 1) })));
    expect(long[0]).toMatchObject({ path: 'description', message: expect.stringMatching(/exceeds the limit of 8192/) });
    const big = refused(() => parseRecipeText(`description: "${'x'.repeat(LIMITS.recipeBytes)}"\n`));
    expect(big[0]!.message).toMatch(/over the limit of 64\.0 KiB/);
  });

  it('refuses a document of too many values', () => {
    const issues = refused(() => parseRecipeValue(recipeValue([], { sweep: { matrix: { seed: Array.from({ length: LIMITS.values + 1 }, (_, i) => i) } } })));
    expect(issues[0]!.message).toMatch(/over the limit of 50000 values/);
  });

  it('accepts the largest recipe the limits allow, compiling it in linear time', () => {
    // A 500-stage chain listed consumer first: the old pass-per-level ordering was quadratic on exactly this.
    const n = LIMITS.stages;
    const stages = Array.from({ length: n }, (_, k) => {
      const i = n - 1 - k;
      return { id: `s${i}`, kind: 'filter', inputs: [i === 0 ? 'web' : `s${i - 1}`], with: { rules: ['gopher-quality', 'c4'] } };
    });
    const value = recipeValue(stages);
    parseRecipeValue(value); // warm up zod
    const t0 = performance.now();
    const plan = compileRecipe(parseRecipeValue(value));
    const ms = performance.now() - t0;
    expect(plan.nodes.map((x) => x.id).slice(0, 3)).toEqual(['web', 's0', 's1']);
    expect(plan.nodes).toHaveLength(n + 1);
    expect(ms).toBeLessThan(500);
    // And as text: the YAML parse is the slow part, which is why the API runs it on a worker thread.
    const text = JSON.stringify(value);
    expect(Buffer.byteLength(text)).toBeLessThan(LIMITS.recipeBytes);
    expect(compileRecipe(parseRecipeText(text)).nodes).toHaveLength(n + 1);
  });

  it('keeps the order the pass-per-level algorithm gave', () => {
    const plan = compileRecipe(
      parseRecipeValue(
        recipeValue([
          { id: 'x', kind: 'filter', inputs: ['z'] },
          { id: 'z', kind: 'filter', inputs: ['web'] },
          { id: 'y', kind: 'filter', inputs: ['web'] },
        ]),
      ),
    );
    expect(plan.nodes.map((x) => x.id)).toEqual(['web', 'z', 'y', 'x']);
  });

  it('lists at most 20 names in an error about thousands of unknown inputs', () => {
    const stages = Array.from({ length: 400 }, (_, i) => ({ id: `s${i}`, kind: 'filter', inputs: [`nowhere${i}`] }));
    const issues = refused(() => compileRecipe(parseRecipeValue(recipeValue(stages))));
    expect(issues).toHaveLength(400);
    expect(issues[0]!.message).toMatch(/… and 381 more\)$/);
  });
});

describe('byte sizes', () => {
  it('parses BRAISE_WORKER_MEMORY forms', () => {
    expect(parseByteSize('8GiB')).toBe(8 * 1024 ** 3);
    expect(parseByteSize('8G')).toBe(8 * 1024 ** 3);
    expect(parseByteSize('8GB')).toBe(8e9);
    expect(parseByteSize('512 MiB')).toBe(512 * 1024 ** 2);
    expect(parseByteSize('1048576')).toBe(1048576);
    expect(parseByteSize('1.5TiB')).toBe(1.5 * 1024 ** 4);
    for (const bad of ['', 'lots', '-1G', '0', '8 GiBs']) expect(parseByteSize(bad), bad).toBeNull();
  });

  it('formats them', () => {
    expect(formatBytes(412.3 * 1024 ** 3)).toBe('412.3 GiB');
    expect(formatBytes(100)).toBe('100 B');
  });
});
