/**
 * Which environment variable names Braise reads: those the README's Configuration table documents and Braise's own
 * code (not tests, not docs) names. A manifest that sets anything else sets nothing: a typo, or a variable that
 * was renamed in the code and not in the deployment.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tools.ts';

const CODE_DIRS = ['infra', 'ml', 'datasets', 'cli', 'api', 'activities', 'service', 'recipe', 'bin'];

function codeText(): string {
  return CODE_DIRS.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(ts|js|mjs)$/.test(f))
      .map((f) => readFileSync(join(ROOT, dir, f), 'utf8')),
  ).join('\n');
}

/** The names in the first column of README.md's "### Configuration" table. */
export function documentedEnv(): Set<string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### Configuration');
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  const names = section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...(l.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
  return new Set(names);
}

/** The names among `names` that Braise does not read (not documented, or named nowhere in its code). */
export function unreadEnv(names: Iterable<string>): string[] {
  const documented = documentedEnv();
  const code = codeText();
  return [...new Set(names)].filter((n) => !documented.has(n) || !new RegExp(`\\b${n}\\b`).test(code)).sort();
}
