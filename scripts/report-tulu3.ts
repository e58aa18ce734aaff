/**
 * `npm run report:tulu3 [-- --set stages.<id>.<field>=<value> ...]`: runs recipes/tulu3-mini.yaml end to end
 * (`braise run --json`, its progress bars on stderr; a cached rerun takes seconds) and prints, in Markdown,
 * every model of its evaluate stage — base, upsampled, SFT, DPO, RLVR and merged — on the held-out verifiable
 * tasks and perplexity, each ± its standard error, then what each stage did (its time and headline metrics).
 * Exits with the run's exit code when it did not complete.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluationComparison } from '../cli/render-evaluate.ts';
import type { RunView } from '../service/view.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const recipe = join(root, 'recipes', 'tulu3-mini.yaml');

/** The stage metrics worth a column in the stage table, by kind (the rest are in `braise status`). */
const STAGE_METRICS: Readonly<Record<string, readonly string[]>> = {
  pretrain: ['first_loss', 'final_loss'],
  upsample: ['first_loss', 'final_loss'],
  sft: ['first_loss', 'final_loss'],
  dpo: ['first_loss', 'final_loss', 'reward_margin', 'accuracy'],
  rlvr: ['first_mean_reward', 'mean_reward', 'kl', 'groups_kept'],
};

function markdown(header: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const fmt = (v: number | undefined) => (v === undefined ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(4));

function run(args: readonly string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'braise.js'), 'run', recipe, '--json', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout }));
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const { code, stdout } = await run(process.argv.slice(2));
  const wall = (Date.now() - started) / 1000;
  if (stdout.trim() === '') return code === 0 ? 1 : code;
  const view = JSON.parse(stdout) as RunView;
  if (view.status !== 'completed') {
    process.stderr.write(`run ${view.runId} ended ${view.status}${view.error ? `: ${view.error}` : ''}\n`);
    return code === 0 ? 1 : code;
  }
  const evaluate = view.stages.find((s) => s.kind === 'evaluate');
  const table = evaluate ? evaluationComparison(evaluate.metrics, view.stages.map((s) => s.id)) : null;
  if (table === null) {
    process.stderr.write('the run has no evaluate metrics to report\n');
    return 1;
  }
  const out: string[] = [
    `## tulu3-mini: held-out tasks by model (run ${view.runId}, ${wall.toFixed(0)} s wall${view.stages.every((s) => s.status === 'cached') ? ', all stages cached' : ''})`,
    '',
    markdown(table.header.map((h) => h.toLowerCase()), table.rows),
    '',
    "Every model is scored on the same held-out rows and windows (± standard error); bits per byte is the mean over the domains of the pretrain's held-out documents (Brown genres and arithmetic text).",
    '',
    '## stages',
    '',
    markdown(
      ['stage', 'kind', 'status', 'seconds', 'metrics'],
      view.stages
        .filter((s) => s.kind !== 'ingest')
        .map((s) => [
          s.id,
          s.kind,
          s.status,
          s.durationMs === null ? '-' : (s.durationMs / 1000).toFixed(1),
          (STAGE_METRICS[s.kind] ?? []).filter((m) => m in s.metrics).map((m) => `${m} ${fmt(s.metrics[m])}`).join(', '),
        ]),
    ),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
