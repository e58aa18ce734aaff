/**
 * `braise open <runId>`: prints the run's dashboard page and opens it in a browser where there is one to open:
 * `BROWSER` when set, else `open` (macOS) or `xdg-open` with a display. Without one it only prints the URL.
 */
import { spawn } from 'node:child_process';
import { apiLocation } from '../connect.ts';
import { EXIT, say } from '../io.ts';

/**
 * The dashboard's page of a run, under the API's URL: the dashboard is one page at `/` with hash routes
 * (dashboard/router.ts `routes.run`); the browser test opens the run through this path.
 */
export const RUN_PAGE_PATH = (runId: string) => `/#/runs/${encodeURIComponent(runId)}`;

/** The browser command for this environment, or null when there is none to start. */
export function browserCommand(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | null {
  if (env.BROWSER?.trim()) return env.BROWSER.trim();
  if (platform === 'darwin') return 'open';
  if (platform === 'linux' && (env.DISPLAY || env.WAYLAND_DISPLAY)) return 'xdg-open';
  return null;
}

export async function openCommand(runId: string): Promise<number> {
  const url = `${apiLocation().url}${RUN_PAGE_PATH(runId)}`;
  process.stdout.write(`${url}\n`);
  const browser = browserCommand();
  if (!browser) return EXIT.ok;
  // Detached and unwaited: the browser outlives this command; failing to start one is said, not an error.
  await new Promise<void>((resolve) => {
    const child = spawn(browser, [url], { detached: true, stdio: 'ignore' });
    child.once('error', (err) => {
      say(`could not start ${browser} (${err.message}); open the URL above yourself`);
      resolve();
    });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
  return EXIT.ok;
}
