#!/usr/bin/env node
// Braise ships TypeScript sources and no build step: the CLI runs as an esbuild bundle cached by content hash
// (cli-bundle.js, built on first use and whenever a source changes), or through tsx where no bundle can be built.
import { join } from 'node:path';
import { URL, fileURLToPath } from 'node:url';
import { cliBundle } from './cli-bundle.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = await cliBundle({ root, entry: join(root, 'cli', 'main.ts'), cacheDir: join(root, 'node_modules', '.cache', 'braise-cli') }).catch(() => null);
if (bundle) {
  await import(bundle.main);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
