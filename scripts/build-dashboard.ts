/**
 * `npm run build:dashboard [outDir]`: the dashboard's static files into `outDir` (default `dist/dashboard`),
 * for a deployment that serves them with `BRAISE_DASHBOARD_DIR` instead of building them on start.
 */
import { resolve } from 'node:path';
import { buildDashboard } from '../infra/dashboard-build.ts';

const outDir = resolve(process.argv[2] ?? 'dist/dashboard');
await buildDashboard(outDir);
process.stdout.write(`dashboard built into ${outDir}\n`);
