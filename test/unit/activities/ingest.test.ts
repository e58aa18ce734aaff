/**
 * The ingest activity takes its `file:` roots from the run's recorded options (what the starter set),
 * falls back to the worker's own only for runs started without any, applies the worker's ingest
 * limits, and fails bad input as non-retryable without quoting it.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../../activities/deps.ts';
import { createIngest } from '../../../activities/ingest/activity.ts';
import { readDatasetAll } from '../../../datasets/dataset.ts';
import { DEFAULT_INGEST_LIMITS } from '../../../datasets/limits.ts';
import { runStage, stageDeps, stageRequest, tempDir } from '../rewrite/stage-env.ts';

/** A data root with `ok.jsonl` and `link.jsonl` (a symlink to a file outside), and an ingest over it. */
async function setup(options: (root: string) => unknown, config: (root: string) => Partial<ActivityDeps['config']> = () => ({})) {
  const base = await tempDir();
  const root = path.join(base, 'data');
  await mkdir(root);
  await writeFile(path.join(root, 'ok.jsonl'), '{"text":"one"}\n{"text":"two"}\n');
  await writeFile(path.join(base, 'secret.jsonl'), '{"text":"the secret is 4711"}\n');
  await symlink(path.join(base, 'secret.jsonl'), path.join(root, 'link.jsonl'));
  const deps = await stageDeps();
  deps.lineage = { getRun: () => Promise.resolve({ options: options(root) }) } as unknown as ActivityDeps['lineage'];
  deps.config = { ...deps.config, dataRoots: null, ingestLimits: DEFAULT_INGEST_LIMITS, ...config(root) };
  const ingest = (name: string) => runStage(createIngest(deps), stageRequest('d', 'ingest', { source: `file:${path.join(root, name)}` }, []));
  return { root, deps, ingest };
}

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('ingest activity', () => {
  it('reads inside the roots its run was started with; a symlink out of them fails, non-retryable, quoting nothing', async () => {
    const { root, deps, ingest } = await setup((r) => ({ noCache: false, dataRoots: [r] }));
    const ok = await ingest('ok.jsonl');
    expect(ok.metrics).toEqual({ docs: 2, bytes: 6 });
    expect((await readDatasetAll(deps.store, ok.outputs[0]!.artifact.id)).map((d) => d.text)).toEqual(['one', 'two']);
    const err = await failure(ingest('link.jsonl'));
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toBe(`${path.join(root, 'link.jsonl')} is outside the allowed data roots (through a symbolic link): ${root} (BRAISE_DATA_ROOTS)`);
    expect(err.message).not.toContain('4711');
  });

  it('an empty root list from the starter (the API without BRAISE_DATA_ROOTS) refuses every file', async () => {
    const { ingest } = await setup(() => ({ noCache: false, dataRoots: [] }), (r) => ({ dataRoots: [r] }));
    expect((await failure(ingest('ok.jsonl'))).message).toMatch(/no data roots are configured/);
  });

  it('a run started without roots gets the worker’s own BRAISE_DATA_ROOTS, else reads anywhere', async () => {
    const confined = await setup(() => ({ noCache: false }), (r) => ({ dataRoots: [r] }));
    expect((await failure(confined.ingest('link.jsonl'))).message).toMatch(/outside the allowed data roots/);
    const open = await setup(() => ({ noCache: false }));
    expect((await open.ingest('link.jsonl')).metrics.docs).toBe(1);
  });

  it('applies the worker’s ingest limits', async () => {
    const { root, ingest } = await setup(() => ({ noCache: false }), () => ({ ingestLimits: { ...DEFAULT_INGEST_LIMITS, maxDocs: 1 } }));
    const err = await failure(ingest('ok.jsonl'));
    expect(err).toMatchObject({ nonRetryable: true, type: 'IngestLimitError' });
    expect(err.message).toBe(`${path.join(root, 'ok.jsonl')}:2: more than 1 document (BRAISE_INGEST_MAX_DOCS); stopped reading there`);
  });
});
