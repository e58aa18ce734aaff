/**
 * `npm run goldens:mixing`: runs scripts/goldens/mixing_updates.py in the shared PyTorch venv (infra/python-venv.ts
 * TORCH_VENV under the home's tools/, made on first use; BRAISE_TORCH_PYTHON names another interpreter), which
 * rewrites test/fixtures/goldens/mixing/updates.json from the DoReMi, Skill-It and Aioli reference updates.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../infra/config.ts';
import { pythonVenv, TORCH_VENV } from '../../infra/python-venv.ts';

const python = await pythonVenv(TORCH_VENV, { toolsDir: loadConfig().toolsDir, log: (m) => console.error(m) });
execFileSync(python, [fileURLToPath(new URL('./mixing_updates.py', import.meta.url))], { stdio: 'inherit' });
