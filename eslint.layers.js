/**
 * Import layering, enforced by lint: which top-level folder may import which, and no import cycles.
 * Kept apart from eslint.config.js so test/unit/lint/layers.test.ts can run the same rules on the
 * fixtures in test/lint/fixtures/ (a cycle and an upward import that must be reported).
 *
 * Lowest first (the README's map of the code says the same):
 *   errors/                      imports nothing of Braise
 *   recipe/, datasets/           errors/ only (recipe/ is the pure recipe language)
 *   ml/                          errors/ and recipe/ (a training job's settings are its stage's `with`, parsed with recipe/'s schema);
 *                                datasets/posttrain/rows.ts (the post-training row shapes, pure zod)
 *   service/                     errors/; `import type` from recipe/ and datasets/ (the RunService contract, its
 *                                views, the statuses, the lineage port, the HTTP client: no Braise I/O)
 *   workflows/                   `import type` from recipe/, activities/ and service/; @temporalio/workflow only
 *   activities/                  recipe/, datasets/, ml/; `import type` from service/ (lineage is its port)
 *   infra/                       everything below (it implements service/ over Temporal + lineage)
 *   api/                         everything below
 *   cli/                         everything, api/ included (`braise up` / `braise api` serve it)
 *   dashboard/                   recipe/ only (the browser bundle: pure modules such as the evaluate metric names)
 *   bench/, scripts/, test/      anything; nothing imports them
 */
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

const ALL = ['errors', 'recipe', 'datasets', 'ml', 'service', 'workflows', 'activities', 'infra', 'api', 'cli', 'dashboard', 'bench', 'scripts', 'test'];

/**
 * Per folder: `may` by value, `types` by `import type` only, `except` import paths (relative to the
 * repository root) allowed although their folder is not.
 */
export const LAYERS = {
  errors: { may: [] },
  recipe: { may: ['errors'] },
  datasets: { may: ['errors'] },
  ml: { may: ['errors', 'recipe'], except: ['datasets/posttrain/rows.ts'] },
  service: { may: ['errors'], types: ['recipe', 'datasets'] },
  workflows: { may: [], types: ['recipe', 'activities', 'service'] },
  activities: { may: ['errors', 'recipe', 'datasets', 'ml'], types: ['service'] },
  infra: { may: ['errors', 'recipe', 'datasets', 'ml', 'service', 'workflows', 'activities'] },
  api: { may: ['errors', 'recipe', 'datasets', 'ml', 'service', 'workflows', 'activities', 'infra'] },
  cli: { may: ['errors', 'recipe', 'datasets', 'ml', 'service', 'workflows', 'activities', 'infra', 'api'] },
  dashboard: { may: ['recipe'] },
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A relative import of top-level `folder` from any depth (`../x/`, `../../x/`), minus the allowed paths in it. */
function folderRegex(folder, except) {
  const allowed = except.filter((p) => p.startsWith(`${folder}/`)).map((p) => escape(p.slice(folder.length + 1)));
  return `^(\\.\\./)+${folder}/${allowed.length > 0 ? `(?!(${allowed.join('|')})$)` : ''}`;
}

/** Workflow code is replayed: it must be deterministic, so no Node built-ins and no SDK but the workflow one. */
export const WORKFLOW_PATTERNS = [
  { group: ['node:*', 'fs', 'path', 'child_process', 'crypto', 'os'], message: 'Workflows are deterministic: no Node built-ins.' },
  { group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'Workflows import only @temporalio/workflow.' },
];

function restrictions(folder) {
  const { may, types = [], except = [] } = LAYERS[folder];
  const patterns = folder === 'workflows' ? [...WORKFLOW_PATTERNS] : [];
  for (const other of ALL) {
    if (other === folder || may.includes(other)) continue;
    const typeOnly = types.includes(other);
    patterns.push({
      regex: folderRegex(other, except),
      message: typeOnly
        ? `${folder}/ may import ${other}/ only with \`import type\` (layers: eslint.layers.js).`
        : `${folder}/ may not import ${other}/: imports go down the layers (${folder}/ may import ${may.join(', ') || 'nothing of Braise'}; see eslint.layers.js).`,
      ...(typeOnly ? { allowTypeImports: true } : {}),
    });
  }
  return patterns;
}

/** The flat-config objects of the layering: one no-restricted-imports per folder, and import-x/no-cycle everywhere. */
export function layerConfigs() {
  return [
    ...Object.keys(LAYERS).map((folder) => ({
      files: [`${folder}/**/*.ts`, `${folder}/**/*.tsx`],
      rules: { 'no-restricted-imports': ['error', { patterns: restrictions(folder) }] },
    })),
    {
      files: ['**/*.ts'],
      plugins: { 'import-x': importX },
      settings: {
        // Without these import-x treats .ts files as unknown and follows no import out of them.
        'import-x/extensions': ['.ts', '.js'],
        'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
      },
      // Type-only imports are erased at run time and do not count (import-x skips them).
      rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
    },
  ];
}
