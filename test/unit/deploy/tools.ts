/**
 * The deployment validators, found on this machine: the pinned ones .ci/run installs (infra/k8s/tools.ts) under
 * `.braise/tools`, else on PATH. A missing one fails the test in CI (CI=true) and skips it elsewhere, saying which
 * tool and how to get it, so a developer without them can still run the suite.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'vitest';
import { DEPLOY_TOOLS } from '../../../infra/k8s/tools.ts';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TOOLS = join(ROOT, '.braise', 'tools');
const VENV_BIN = join(TOOLS, 'deploy-venv', 'bin');

export type Tool = 'kustomize' | 'docker-compose' | 'kubernetes-validate' | 'dockerfile-parse' | 'keda-crd';

const HOW: Record<Tool, string> = {
  kustomize: `go install sigs.k8s.io/kustomize/kustomize/v5@${DEPLOY_TOOLS.kustomize} (GOBIN=.braise/tools/bin)`,
  'docker-compose': 'apt-get install docker-compose',
  'kubernetes-validate': `python3 -m venv .braise/tools/deploy-venv && .braise/tools/deploy-venv/bin/pip install kubernetes-validate==${DEPLOY_TOOLS.kubernetesValidate}`,
  'dockerfile-parse': `.braise/tools/deploy-venv/bin/pip install dockerfile-parse==${DEPLOY_TOOLS.dockerfileParse}`,
  'keda-crd': `go mod download github.com/kedacore/keda/v2@${DEPLOY_TOOLS.keda}`,
};

function onPath(name: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function locate(tool: Tool): string | null {
  switch (tool) {
    case 'kustomize': {
      const local = join(TOOLS, 'bin', 'kustomize');
      return existsSync(local) ? local : onPath('kustomize');
    }
    case 'docker-compose':
      return onPath('docker-compose');
    case 'kubernetes-validate': {
      const local = join(VENV_BIN, 'kubernetes-validate');
      return existsSync(local) ? local : onPath('kubernetes-validate');
    }
    case 'dockerfile-parse': {
      const python = existsSync(join(VENV_BIN, 'python')) ? join(VENV_BIN, 'python') : 'python3';
      return spawnSync(python, ['-c', 'import dockerfile_parse'], { stdio: 'ignore' }).status === 0 ? python : null;
    }
    case 'keda-crd': {
      if (!onPath('go')) return null;
      const cache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
      const crd = join(cache, 'github.com', 'kedacore', 'keda', `v2@${DEPLOY_TOOLS.keda}`, 'config', 'crd', 'bases', 'keda.sh_scaledobjects.yaml');
      return existsSync(crd) ? crd : null;
    }
  }
}

/** The tool's path (an executable, or the CRD file); in CI a missing one fails the test, elsewhere it skips it. */
export function requireTool(ctx: TestContext, tool: Tool): string {
  const found = locate(tool);
  if (found) return found;
  const message = `${tool} is not installed (${HOW[tool]}; .ci/run installs it)`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`skipped: ${message}`);
  ctx.skip();
  throw new Error('unreachable: ctx.skip() throws');
}

/** Runs a validator; resolves with its stdout, rejects with its stderr (what it found wrong) on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, encoding: 'utf8', input: opts.input, timeout: 30_000, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  if (r.error) throw r.error;
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}
