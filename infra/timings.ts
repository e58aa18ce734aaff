/**
 * Where a command's time goes: with BRAISE_TIMINGS=1, named moments since the
 * process started (node and tsx included) are printed to stderr at exit, each
 * with the time since the previous one. `npm run bench -- orchestration` uses
 * it to break down a cached `braise run`.
 */
const enabled = process.env.BRAISE_TIMINGS === '1';
const marks: Array<[string, number]> = [];

/** Records that `name` happened now (a no-op unless BRAISE_TIMINGS=1). */
export function mark(name: string): void {
  if (!enabled) return;
  if (marks.length === 0) process.once('exit', report);
  marks.push([name, performance.now()]);
}

function report(): void {
  let prev = 0;
  const lines = marks.map(([name, t]) => {
    const line = `braise-timing ${name.padEnd(28)} ${t.toFixed(0).padStart(6)} ms  (+${(t - prev).toFixed(0)})`;
    prev = t;
    return line;
  });
  process.stderr.write(`${lines.join('\n')}\nbraise-timing exit ${performance.now().toFixed(0).padStart(6 + 24)} ms\n`);
}
