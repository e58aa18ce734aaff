/**
 * `npm run build:workflows [out]`: the production workflow bundle (Temporal's bundleWorkflowCode over
 * workflows/index.ts), written to `out` (default dist/workflow-bundle.js). Images build it once; their control
 * workers load it through BRAISE_WORKFLOW_BUNDLE instead of running webpack on every start.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { buildWorkflowBundle } from '../infra/temporal/worker.ts';

const out = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const code = await buildWorkflowBundle();
await mkdir(dirname(out), { recursive: true });
// Written beside its final name and renamed, so a worker never loads half a bundle.
await writeFile(`${out}.tmp`, code);
await rename(`${out}.tmp`, out);
console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
