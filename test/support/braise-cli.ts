/** `braise <args>` as a user runs it: a real subprocess of bin/braise.js, its exit code and output. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BRAISE_BIN = fileURLToPath(new URL('../../bin/braise.js', import.meta.url));

export function runBraise(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return runNode([BRAISE_BIN, ...args], env);
}

/** `node <args>` (a script of the project, e.g. `--import tsx scripts/…`), its exit code and output. */
export function runNode(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
