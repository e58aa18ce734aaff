/**
 * The layering lint (eslint.layers.js) fails on an import cycle and on an upward import: ESLint's Node
 * API runs the same rules on test/lint/fixtures/ (a mini tree with recipe/, activities/, service/, ml/),
 * which the normal `eslint .` ignores. A type-only import the layers allow is not reported.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { layerConfigs } from '../../../eslint.layers.js';

const FIXTURES = fileURLToPath(new URL('../../lint/fixtures/', import.meta.url));

async function lintFixtures(): Promise<Map<string, Array<{ ruleId: string | null; message: string }>>> {
  const eslint = new ESLint({
    cwd: FIXTURES,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...layerConfigs()],
  });
  const results = await eslint.lintFiles(['**/*.ts']);
  return new Map(results.map((r) => [path.relative(FIXTURES, r.filePath), r.messages.map((m) => ({ ruleId: m.ruleId, message: m.message }))]));
}

describe('import layering lint', () => {
  it('reports the upward imports and both ends of the cycle, and nothing else', async () => {
    const byFile = await lintFixtures();
    expect(byFile.get(path.join('recipe', 'upward.ts'))).toEqual([
      { ruleId: 'no-restricted-imports', message: expect.stringContaining('recipe/ may not import activities/: imports go down the layers') },
    ]);
    expect(byFile.get(path.join('infra', 'upward.ts'))).toEqual([
      { ruleId: 'no-restricted-imports', message: expect.stringContaining('infra/ may not import cli/: imports go down the layers') },
    ]);
    for (const file of ['a.ts', 'b.ts']) {
      expect(byFile.get(path.join('ml', file))).toEqual([{ ruleId: 'import-x/no-cycle', message: expect.stringMatching(/cycle/i) }]);
    }
    // activities/ → service/ by `import type` is allowed (the lineage port), so helper.ts is clean.
    expect(byFile.get(path.join('activities', 'helper.ts'))).toEqual([]);
    expect(byFile.get(path.join('service', 'config.ts'))).toEqual([]);
  });
});
