/**
 * Records the event histories that the replay test runs through the current
 * workflow code (test/fixtures/histories/*.json). Run it when a workflow
 * behaviour is added on purpose — never to paper over a replay failure: a
 * change that breaks replay of these histories would break running workflows
 * (use `patched()` instead).
 *
 *     npx tsx scripts/record-histories.ts <generation>
 *
 * writes test/fixtures/histories/<generation>/*.json: one folder per
 * generation of workflow behaviour, so the histories of earlier generations
 * stay and keep being replayed (the top folder holds the first one). Uses the
 * embedded platform in a temporary home.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findTemporalCli } from '../infra/temporal/cli-binary.ts';
import { loadConfig } from '../infra/config.ts';
import { openRuntime } from '../infra/runtime.ts';
import { createRunService } from '../infra/service.ts';
import { NOISE, tinyRecipe } from '../test/integration/recipes.ts';

const generation = process.argv[2] ?? '';
if (!/^[a-z0-9][a-z0-9-]*$/.test(generation)) {
  console.error('usage: npx tsx scripts/record-histories.ts <generation>   (a new folder name, e.g. local-control-activities)');
  process.exit(2);
}
const OUT = fileURLToPath(new URL(`../test/fixtures/histories/${generation}/`, import.meta.url));
if ((await readdir(OUT).catch(() => [])).length > 0) {
  console.error(`${OUT} already holds histories; recorded histories are never replaced (pick a new generation name)`);
  process.exit(2);
}
await mkdir(OUT, { recursive: true });
const home = await mkdtemp(join(tmpdir(), 'braise-record-'));
const config = loadConfig({ ...process.env, BRAISE_HOME: home, BRAISE_TEMPORAL_PORT: process.env.BRAISE_TEMPORAL_PORT ?? '17999', BRAISE_TEMPORAL_UI_PORT: process.env.BRAISE_TEMPORAL_UI_PORT ?? '18999', TEMPORAL_ADDRESS: '', DATABASE_URL: '' }, home);
const rt = await openRuntime({ config, queues: ['control', 'cpu', 'gpu'] });
const service = createRunService(rt);

async function until(runId: string, pred: (s: string, step: number) => boolean): Promise<void> {
  for (;;) {
    const v = await service.getRun(runId);
    const step = v.stages.find((s) => s.id === 'base')?.progress?.step ?? 0;
    if (pred(v.status, step)) return;
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function save(name: string, runId: string): Promise<void> {
  const run = (await rt.lineage.getRun(runId))!;
  // The official CLI writes the proto-JSON form that historyFromJSON (and the Temporal UI's download) use.
  const bin = await findTemporalCli(config.toolsDir);
  const { stdout } = await promisify(execFile)(bin, ['workflow', 'show', '--workflow-id', run.workflowId, '--address', rt.temporalAddress!, '--namespace', config.namespace, '--output', 'json'], { maxBuffer: 1 << 26 });
  await writeFile(join(OUT, `${name}.json`), stdout);
  console.log(`recorded ${name} (${(JSON.parse(stdout) as { events: unknown[] }).events.length} events)`);
}

try {
  // 1. completed, then 2. the same recipe again: every stage cached
  const a = await service.startRun({ recipe: tinyRecipe({ name: 'replay', steps: 12 }) });
  await until(a.runId, (s) => s === 'completed');
  await save('completed', a.runId);
  const b = await service.startRun({ recipe: tinyRecipe({ name: 'replay', steps: 12 }) });
  await until(b.runId, (s) => s === 'completed');
  await save('cached', b.runId);

  // 3. paused on a missing file, resumed in place with a changed setting
  const missing = join(home, 'late.jsonl');
  const c = await service.startRun({ recipe: tinyRecipe({ name: 'replay-pause', steps: 12 }).replace(`file:${NOISE}`, `file:${missing}`) });
  await until(c.runId, (s) => s === 'paused');
  await copyFile(NOISE, missing);
  await service.resume(c.runId, { with: { 'stages.base.steps': 10 } });
  await until(c.runId, (s) => s === 'completed');
  await save('paused-resumed', c.runId);

  // 4. cancelled mid-training
  const d = await service.startRun({ recipe: tinyRecipe({ name: 'replay-cancel', steps: 2000 }) });
  await until(d.runId, (_s, step) => step >= 3);
  await service.cancel(d.runId);
  await until(d.runId, (s) => s === 'cancelled');
  await save('cancelled', d.runId);

  // 5. failed: a stage failing with onFailure: fail
  const e = await service.startRun({ recipe: tinyRecipe({ name: 'replay-fail', steps: 12 }).replace(`file:${NOISE}`, `file:${join(home, 'gone.jsonl')}`), onFailure: 'fail' });
  await until(e.runId, (s) => s === 'failed');
  await save('failed', e.runId);

  // 6. two runs of one recipe started at once: one computes each stage, the other waits on its claims (single flight)
  // and takes the outputs from the cache; the waiter's history is saved.
  const shared = () => service.startRun({ recipe: tinyRecipe({ name: 'replay-shared', steps: 12, genres: ['m'] }) });
  const pair = await Promise.all([shared(), shared()]);
  for (const r of pair) await until(r.runId, (s) => s === 'completed');
  const cachedSteps = async (runId: string) => (await rt.lineage.stepsForRun(runId)).filter((s) => s.status === 'cached').length;
  const [first, second] = pair as [typeof pair[0], typeof pair[0]];
  await save('shared', (await cachedSteps(first.runId)) >= (await cachedSteps(second.runId)) ? first.runId : second.runId);
} finally {
  await rt.close();
  const { stopDevServer } = await import('../infra/temporal/dev-server.ts');
  await stopDevServer(config);
  await rm(home, { recursive: true, force: true });
}
