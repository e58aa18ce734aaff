/** Exit codes and stderr messages shared by the commands. */
export const EXIT = { ok: 0, failed: 1, invalid: 2, paused: 3, notFound: 4, interrupted: 130 } as const;

export function exitCodeFor(status: string): number {
  if (status === 'completed') return EXIT.ok;
  if (status === 'paused') return EXIT.paused;
  return EXIT.failed;
}

/** Human messages go to stderr; stdout is reserved for results (`--json`). */
export function say(message: string): void {
  process.stderr.write(`${message}\n`);
}
