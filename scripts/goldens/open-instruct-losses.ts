/**
 * `npm run goldens:open-instruct`: runs scripts/goldens/open_instruct_losses.py in the shared PyTorch venv
 * (infra/python-venv.ts TORCH_VENV under the home's tools/, made on first use; BRAISE_TORCH_PYTHON names
 * another interpreter), so the loss goldens and the training bench use one torch install.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../infra/config.ts';
import { pythonVenv, TORCH_VENV } from '../../infra/python-venv.ts';

const python = await pythonVenv(TORCH_VENV, { toolsDir: loadConfig().toolsDir, log: (m) => console.error(m) });
execFileSync(python, [fileURLToPath(new URL('./open_instruct_losses.py', import.meta.url))], { stdio: 'inherit' });
