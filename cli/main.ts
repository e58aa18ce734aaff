/**
 * The `braise` command. Each command's module is imported when it runs, so
 * `braise run` does not load the HTTP API and `braise down` loads almost nothing.
 * (No shebang line: bin/braise.js is the entry, and tsx cannot rewrite a file's
 * `import()` calls when it starts with one.)
 */
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../infra/config.ts';
import { mark } from '../infra/timings.ts';
import type { QueueName } from '../infra/temporal/worker.ts';
import { say } from './io.ts';
import pkg from '../package.json' with { type: 'json' };
import { RUN_STATUSES } from '../service/status.ts';

const run = () => import('./commands/run.ts');
const status = () => import('./commands/status.ts');
const lineage = () => import('./commands/lineage.ts');
const provenance = () => import('./commands/provenance.ts');
const resume = () => import('./commands/resume.ts');
const report = () => import('./commands/report.ts');
const up = () => import('./commands/up.ts');
const schedule = () => import('./commands/schedule.ts');

mark('cli loaded');

const program = new Command('braise').description('Durable LLM training recipes on Temporal').version(pkg.version, '-V, --version', 'print the version').showHelpAfterError();

/** A command's `--help` examples (every command has some: test/unit/cli/help.test.ts walks the tree). */
const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`;

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
  .addHelpText('after', examples('braise run recipes/demo.yaml', 'braise run recipes/demo.yaml --set stages.base.with.lr=1e-3 --set stages.base.steps=50', 'braise run recipes/demo.yaml --no-cache --on-failure pause --json > run.json'))
  .action((recipe: string, opts) => exitWith(run().then((m) => m.runCommand(recipe, opts))));

program
  .command('status <runId>')
  .description("show a run's stages, attempts, outputs and metrics")
  .option('--json', 'print JSON')
  .addHelpText('after', examples('braise status <runId>', 'braise status <runId> --json | jq .stages'))
  .action((runId: string, opts) => exitWith(status().then((m) => m.statusCommand(runId, opts))));

program
  .command('report <runId>')
  .description("a sweep's report: each cell's values and metrics, the best cell, and what regressed since the schedule's previous run")
  .option('--json', 'print JSON')
  .addHelpText('after', examples('braise report <runId>      # a sweep\'s cells, its best cell, what regressed', 'braise report <runId> --json'))
  .action((runId: string, opts) => exitWith(report().then((m) => m.reportCommand(runId, opts))));

program
  .command('lineage <artifactId>')
  .description('everything upstream of an artifact (or downstream with --down)')
  .option('--json', 'print JSON')
  .option('--down', 'show what was derived from the artifact instead')
  .addHelpText('after', examples('braise lineage <artifactId>', 'braise lineage <artifactId> --down --json'))
  .action((id: string, opts) => exitWith(lineage().then((m) => m.lineageCommand(id, opts))));

program
  .command('provenance <datasetArtifactId> <docId>')
  .description('which runs, stages and checkpoints trained on a document of a dataset (or of datasets derived from it), with token ranges')
  .option('--json', 'print JSON')
  .addHelpText('after', examples('braise provenance <datasetArtifactId> ca01-0003', 'braise provenance <datasetArtifactId> ca01-0003 --json'))
  .action((id: string, docId: string, opts) => exitWith(provenance().then((m) => m.provenanceCommand(id, docId, opts))));

program
  .command('resume <runId>')
  .description('resume a paused run in place, or an ended one as a new execution reusing its finished stages; then follow it')
  .option('--json', 'print JSON')
  .option('--set <key=value...>', 'change stage settings first, e.g. --set stages.base.lr=1e-3')
  .addHelpText('after', examples('braise resume <runId>', 'braise resume <runId> --set stages.base.lr=1e-3'))
  .action((runId: string, opts) => exitWith(resume().then((m) => m.resumeCommand(runId, opts))));

const schedules = program
  .command('schedule')
  .description('run a recipe on a cron expression or an interval (Temporal Schedules): create, list, describe, pause, unpause, trigger, delete')
  .addHelpText(
    'after',
    examples(
      'braise schedule create recipes/demo.yaml --cron "0 2 * * *" --timezone Europe/Paris',
      'braise schedule list',
      'braise schedule describe demo      # next runs, and the run ids of recent ones (braise status <runId>)',
    ),
  );

schedules
  .command('create <recipe>')
  .description("create the schedule (named after the recipe unless --name), or update the one of that name; the recipe is validated now")
  .option('--cron <expr>', 'a cron expression: minute hour day-of-month month day-of-week, or @daily, @hourly, …')
  .option('--every <duration>', 'an interval instead of --cron: 1m, 30m, 6h, 1d')
  .option('--timezone <tz>', 'IANA time zone of --cron (default UTC)')
  .option('--name <name>', "the schedule's name (default the recipe's name)")
  .option('--catchup-window <duration>', 'how late a run missed during an outage may still start (10s to 365d; default 1h)')
  .option('--no-cache', 'each run recomputes every stage')
  .addOption(new Option('--on-failure <mode>', 'what a stage failing after its retries does to a run').choices(['pause', 'fail']))
  .option('--set <key=value...>', "change a stage's settings for the scheduled runs, e.g. --set stages.base.steps=50")
  .option('--json', 'print the schedule as JSON')
  .addHelpText(
    'after',
    examples(
      'braise schedule create recipes/demo.yaml --cron "0 2 * * *"                 # 2 a.m. UTC every day, as schedule "demo"',
      'braise schedule create recipes/demo.yaml --cron "30 1 * * MON-FRI" --timezone Europe/Paris --name weekdays',
      'braise schedule create recipes/demo.yaml --every 6h --catchup-window 30m',
    ),
  )
  .action((recipe: string, opts) => exitWith(schedule().then((m) => m.scheduleCreateCommand(recipe, opts))));

schedules
  .command('list')
  .description('every schedule: what it runs, when, whether paused, its next and last run')
  .option('--json', 'print JSON')
  .addHelpText('after', examples('braise schedule list', 'braise schedule list --json'))
  .action((opts) => exitWith(schedule().then((m) => m.scheduleListCommand(opts))));

schedules
  .command('describe <name>')
  .description('a schedule: its spec, policies, state, next runs and recent runs (their run ids)')
  .option('--json', 'print JSON')
  .addHelpText('after', examples('braise schedule describe demo', 'braise status $(braise schedule describe demo --json | jq -r ".recentRuns[-1].runId")'))
  .action((name: string, opts) => exitWith(schedule().then((m) => m.scheduleDescribeCommand(name, opts))));

for (const [action, description, example] of [
  ['pause', 'start no more runs until unpaused (a run in flight goes on)', 'braise schedule pause demo --note "dataset being rebuilt"'],
  ['unpause', 'start runs again at the next scheduled time', 'braise schedule unpause demo'],
] as const) {
  schedules
    .command(`${action} <name>`)
    .description(description)
    .option('--note <text>', 'why (shown by describe)')
    .option('--json', 'print JSON')
    .addHelpText('after', examples(example))
    .action((name: string, opts) => exitWith(schedule().then((m) => m.schedulePauseCommand(name, opts, action === 'pause'))));
}

schedules
  .command('trigger <name>')
  .description("start a run now (skipped while the schedule's previous run is still open)")
  .option('--json', 'print JSON')
  .addHelpText('after', examples('braise schedule trigger demo'))
  .action((name: string, opts) => exitWith(schedule().then((m) => m.scheduleTriggerCommand(name, opts))));

schedules
  .command('delete <name>')
  .description('delete a schedule (the runs it started stay)')
  .addHelpText('after', examples('braise schedule delete demo'))
  .action((name: string) => exitWith(schedule().then((m) => m.scheduleDeleteCommand(name))));

program
  .command('up')
  .description('start the platform in one process: Temporal dev server, workers for every queue, HTTP API on BRAISE_HOST:BRAISE_PORT')
  .addHelpText('after', examples('braise up', 'BRAISE_HOST=0.0.0.0 BRAISE_PORT=9000 braise up'))
  .action(() => exitWith(up().then((m) => m.serveCommand({ queues: ['control', 'cpu', 'gpu'], api: true }))));

program
  .command('api')
  .description('serve the HTTP API alone, against TEMPORAL_ADDRESS and DATABASE_URL (workers run elsewhere)')
  .addHelpText('after', examples('TEMPORAL_ADDRESS=temporal:7233 DATABASE_URL=postgres://braise@db/braise braise api'))
  .action(() => exitWith(up().then((m) => m.serveCommand({ queues: [], api: true }))));

program
  .command('worker')
  .description('run workers for some queues against TEMPORAL_ADDRESS / DATABASE_URL')
  .addOption(new Option('--queue <queue...>', 'queues to poll').choices(['control', 'cpu', 'gpu']).default(['control', 'cpu', 'gpu']))
  .addHelpText('after', examples('braise worker --queue gpu', 'TEMPORAL_ADDRESS=temporal:7233 DATABASE_URL=postgres://braise@db/braise braise worker --queue cpu control'))
  .action((opts: { queue: QueueName[] }) => exitWith(up().then((m) => m.serveCommand({ queues: opts.queue, api: false }))));

program
  .command('token')
  .description('API tokens')
  .addHelpText('after', examples('braise token create --name ci'))
  .command('create')
  .description('create an API token and print it (once)')
  .requiredOption('--name <name>', 'a name to recognise the token by')
  .addHelpText('after', examples('export BRAISE_TOKEN=$(braise token create --name ci)'))
  .action((opts: { name: string }) => exitWith(up().then((m) => m.tokenCreateCommand(opts.name))));

program
  .command('migrate')
  .description('bring the lineage database (DATABASE_URL) up to date with the committed migrations, then exit (a deployment\'s one-shot job)')
  .addHelpText('after', examples('DATABASE_URL=postgres://braise@db:5432/braise braise migrate   # before a new version\'s api and workers start', 'braise migrate                                              # the embedded PGlite under BRAISE_HOME'))
  .action(() => exitWith(import('./commands/migrate.ts').then((m) => m.migrateCommand())));

program
  .command('setup')
  .description('install optional parts into the home\'s tools')
  .addHelpText('after', examples('braise setup tensorflow'))
  .command('tensorflow')
  .description('build the native TensorFlow backend (tfjs-node on the PyPI TensorFlow C library) and prove it with a smoke op')
  .option('--gpu', 'the CUDA build (tfjs-node-gpu on tensorflow[and-cuda]) for a machine with an NVIDIA GPU')
  .addHelpText('after', examples('braise setup tensorflow', 'BRAISE_TF_WHEELS=/mnt/wheels braise setup tensorflow --gpu'))
  .action((opts: { gpu?: boolean }) => exitWith(import('./commands/setup.ts').then((m) => m.setupTensorflowCommand(opts))));

program
  .command('down')
  .description("stop this home's embedded Temporal dev server (never another home's)")
  .addHelpText('after', examples('braise down'))
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

// ---- runs: list, logs, cancel, validate, open; shell completion -------------------------------------------

program.addHelpText(
  'after',
  examples('braise validate recipes/demo.yaml', 'braise run recipes/demo.yaml', 'braise list --status running', 'braise logs <runId> --follow', 'braise <command> --help   # each command, with examples'),
);

/** `braise list --limit`: an integer from 1 to 500, the API's page sizes (commander names the option otherwise). */
function listLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new InvalidArgumentError('expected an integer from 1 to 500, e.g. 20');
  return n;
}

program
  .command('list')
  .description('runs, newest first: run id, recipe, status, started, duration, schedule')
  .option('--recipe <name>', 'only runs of this recipe')
  .addOption(new Option('--status <status>', 'only runs in this status').choices(RUN_STATUSES))
  .option('--schedule <name>', 'only runs this schedule started')
  .option('--limit <n>', 'at most this many (1 to 500; default 50)', listLimit)
  .option('--cursor <cursor>', 'the next page (printed after a full page)')
  .option('--json', 'print JSON ({ runs, nextCursor })')
  .addHelpText('after', examples('braise list', 'braise list --recipe demo --status failed --limit 5', 'braise list --schedule nightly --json | jq -r ".runs[].runId"'))
  .action((opts) => exitWith(import('./commands/list.ts').then((m) => m.listCommand(opts))));

program
  .command('logs <runId>')
  .description("a run's stage logs (each stage attempt's start, progress, warnings, errors and trainer output), oldest first")
  .option('--stage <id>', 'only this stage')
  .option('-f, --follow', 'keep printing new lines until the run ends')
  .option('--json', 'one JSON object per line')
  .addHelpText('after', examples('braise logs <runId>', 'braise logs <runId> --stage base --follow', 'braise logs <runId> --json | jq -r "select(.level == \\"warn\\") | .message"'))
  .action((runId: string, opts) => exitWith(import('./commands/logs.ts').then((m) => m.logsCommand(runId, opts))));

program
  .command('cancel <runId>')
  .description('cancel a running or paused run (its trainer stops within seconds); exit 1 if it had already ended')
  .option('--json', 'print { runId, status } on stdout')
  .addHelpText('after', examples('braise cancel <runId>', 'braise list --status running --json | jq -r ".runs[].runId" | xargs -n1 braise cancel'))
  .action((runId: string, opts) => exitWith(import('./commands/cancel.ts').then((m) => m.cancelCommand(runId, opts))));

program
  .command('validate <recipe>')
  .description('compile a recipe without running it (no server needed): its plan, or every error with its path and line (exit 2)')
  .option('--set <key=value...>', "change a stage's settings first, as braise run --set does")
  .option('--json', 'print the plan as JSON')
  .addHelpText('after', examples('braise validate recipes/demo.yaml', 'braise validate recipes/demo.yaml --set stages.base.with.lr=1e-3 --json'))
  .action((recipe: string, opts) => exitWith(import('./commands/validate.ts').then((m) => m.validateCommand(recipe, opts))));

program
  .command('open <runId>')
  .description("print the run's dashboard page and open it in a browser (BROWSER, open or xdg-open) when there is one")
  .addHelpText('after', examples('braise open <runId>', 'BROWSER=firefox braise open <runId>'))
  .action((runId: string) => exitWith(import('./commands/open.ts').then((m) => m.openCommand(runId))));

program
  .command('completion')
  .description('print a shell completion script, generated from the commands themselves')
  .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
  .addHelpText('after', examples('source <(braise completion bash)        # in ~/.bashrc', 'braise completion zsh > "${fpath[1]}/_braise"  # then restart zsh'))
  .action((shell: 'bash' | 'zsh') =>
    exitWith(
      import('./completion.ts').then((m) => {
        process.stdout.write(shell === 'bash' ? m.bashCompletion(program) : m.zshCompletion(program));
        return 0;
      }),
    ),
  );

/** Short-lived commands that may open the embedded lineage database. */
const OPENS_DATABASE = new Set(['run', 'status', 'report', 'lineage', 'provenance', 'resume', 'list', 'logs', 'cancel']);
program.hook('preAction', (_program, command) => {
  // PGlite's WebAssembly compiles on background threads while the command's modules load (it touches no data).
  if (OPENS_DATABASE.has(command.name()) && !loadConfig().databaseUrl) {
    void import('../infra/db/pglite-wasm.ts').then((m) => m.pgliteAssets()).catch(() => undefined);
  }
});

/** The command tree (`braise completion` and test/unit/cli/help.test.ts read it). */
export { program };

// A test that imports the tree to inspect it sets BRAISE_CLI_TREE_ONLY: nothing is parsed or run.
if (process.env.BRAISE_CLI_TREE_ONLY !== '1') await program.parseAsync(process.argv);
