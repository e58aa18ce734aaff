/**
 * The `braise` command. Each command's module is imported when it runs, so
 * `braise run` does not load the HTTP API and `braise down` loads almost nothing.
 * (No shebang line: bin/braise.js is the entry, and tsx cannot rewrite a file's
 * `import()` calls when it starts with one.)
 */
import { Command, Option } from 'commander';
import { loadConfig } from '../infra/config.ts';
import { mark } from '../infra/timings.ts';
import type { QueueName } from '../infra/temporal/worker.ts';
import { say } from './io.ts';

const run = () => import('./commands/run.ts');
const status = () => import('./commands/status.ts');
const lineage = () => import('./commands/lineage.ts');
const provenance = () => import('./commands/provenance.ts');
const resume = () => import('./commands/resume.ts');
const report = () => import('./commands/report.ts');
const up = () => import('./commands/up.ts');

mark('cli loaded');

const program = new Command('braise').description('Durable LLM training recipes on Temporal').showHelpAfterError();

async function exitWith(code: Promise<number>): Promise<void> {
  try {
    process.exitCode = await code;
  } catch (err) {
    say(`braise: ${(err as Error).message}`);
    process.exitCode = 1;
  }
  // Native handles (Temporal core, PGlite) can keep the loop alive for a while after close.
  setTimeout(() => process.exit(), 200).unref();
}

program
  .command('run <recipe>')
  .description('run a recipe file end to end and print its stage table')
  .option('--json', 'print the run as JSON on stdout when it ends')
  .option('--no-cache', 'recompute every stage even if a cached result exists')
  .addOption(new Option('--on-failure <mode>', 'what a stage failing after its retries does').choices(['pause', 'fail']))
  .option('--set <key=value...>', "change a stage's settings for this run, e.g. --set stages.base.steps=50")
  .action((recipe: string, opts) => exitWith(run().then((m) => m.runCommand(recipe, opts))));

program
  .command('status <runId>')
  .description("show a run's stages, attempts, outputs and metrics")
  .option('--json', 'print JSON')
  .action((runId: string, opts) => exitWith(status().then((m) => m.statusCommand(runId, opts))));

program
  .command('report <runId>')
  .description("a sweep's report: each cell's values and metrics, the best cell, and what regressed since the schedule's previous run")
  .option('--json', 'print JSON')
  .action((runId: string, opts) => exitWith(report().then((m) => m.reportCommand(runId, opts))));

program
  .command('lineage <artifactId>')
  .description('everything upstream of an artifact (or downstream with --down)')
  .option('--json', 'print JSON')
  .option('--down', 'show what was derived from the artifact instead')
  .action((id: string, opts) => exitWith(lineage().then((m) => m.lineageCommand(id, opts))));

program
  .command('provenance <datasetArtifactId> <docId>')
  .description('which runs, stages and checkpoints trained on a document of a dataset (or of datasets derived from it), with token ranges')
  .option('--json', 'print JSON')
  .action((id: string, docId: string, opts) => exitWith(provenance().then((m) => m.provenanceCommand(id, docId, opts))));

program
  .command('resume <runId>')
  .description('resume a paused run in place, or an ended one as a new execution reusing its finished stages; then follow it')
  .option('--json', 'print JSON')
  .option('--set <key=value...>', 'change stage settings first, e.g. --set stages.base.lr=1e-3')
  .action((runId: string, opts) => exitWith(resume().then((m) => m.resumeCommand(runId, opts))));

program
  .command('up')
  .description('start the platform in one process: Temporal dev server, workers for every queue, HTTP API on BRAISE_HOST:BRAISE_PORT')
  .action(() => exitWith(up().then((m) => m.serveCommand({ queues: ['control', 'cpu', 'gpu'], api: true }))));

program
  .command('api')
  .description('serve the HTTP API alone, against TEMPORAL_ADDRESS and DATABASE_URL (workers run elsewhere)')
  .action(() => exitWith(up().then((m) => m.serveCommand({ queues: [], api: true }))));

program
  .command('worker')
  .description('run workers for some queues against TEMPORAL_ADDRESS / DATABASE_URL')
  .addOption(new Option('--queue <queue...>', 'queues to poll').choices(['control', 'cpu', 'gpu']).default(['control', 'cpu', 'gpu']))
  .action((opts: { queue: QueueName[] }) => exitWith(up().then((m) => m.serveCommand({ queues: opts.queue, api: false }))));

program
  .command('token')
  .description('API tokens')
  .command('create')
  .description('create an API token and print it (once)')
  .requiredOption('--name <name>', 'a name to recognise the token by')
  .action((opts: { name: string }) => exitWith(up().then((m) => m.tokenCreateCommand(opts.name))));

program
  .command('setup')
  .description('install optional parts into the home\'s tools')
  .command('tensorflow')
  .description('build the native TensorFlow backend (tfjs-node on the PyPI TensorFlow C library) and prove it with a smoke op')
  .option('--gpu', 'the CUDA build (tfjs-node-gpu on tensorflow[and-cuda]) for a machine with an NVIDIA GPU')
  .action((opts: { gpu?: boolean }) => exitWith(import('./commands/setup.ts').then((m) => m.setupTensorflowCommand(opts))));

program
  .command('down')
  .description("stop this home's embedded Temporal dev server (never another home's)")
  .action(() => {
    const config = loadConfig();
    return exitWith(
      import('../infra/temporal/dev-server.ts').then(async ({ stopDevServer }) => {
        const stopped = await stopDevServer(config);
        say(stopped ? `Temporal dev server of ${config.home} stopped` : `no embedded Temporal dev server of ${config.home} is running`);
        return 0;
      }),
    );
  });

/** Short-lived commands that may open the embedded lineage database. */
const OPENS_DATABASE = new Set(['run', 'status', 'report', 'lineage', 'provenance', 'resume']);
program.hook('preAction', (_program, command) => {
  // PGlite's WebAssembly compiles on background threads while the command's modules load (it touches no data).
  if (OPENS_DATABASE.has(command.name()) && !loadConfig().databaseUrl) {
    void import('../infra/db/pglite-wasm.ts').then((m) => m.pgliteAssets()).catch(() => undefined);
  }
});

await program.parseAsync(process.argv);
