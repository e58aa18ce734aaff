/** `braise <args>` as a user runs it: a real subprocess of bin/braise.js, its exit code and output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';

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

/** A `braise up` process a test started: its API's URL and token. */
export interface BraiseUp {
  child: ChildProcess;
  url: string;
  token: string;
  alive(): boolean;
  /** SIGTERM (it shuts down gracefully), SIGKILL if it is still there after 30 s. */
  stop(): Promise<void>;
}

/**
 * Starts `braise up` for `env` (its BRAISE_HOME holds the token) on a free port of 127.0.0.1 and resolves once it
 * says its API serves; rejects with its stderr if it exits first.
 */
export async function startBraiseUp(env: Record<string, string>): Promise<BraiseUp> {
  const port = await freePort();
  const child = spawn(process.execPath, [BRAISE_BIN, 'up'], { env: { ...process.env, ...env, BRAISE_HOST: '127.0.0.1', BRAISE_PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-20_000);
      if (log.includes('braise: API on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`braise up exited (${code}): ${log}`)));
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    token: (await readFile(join(env.BRAISE_HOME!, 'token'), 'utf8')).trim(),
    alive,
    async stop() {
      if (!alive()) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      if (alive()) child.kill('SIGKILL');
    },
  };
}
