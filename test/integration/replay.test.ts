/**
 * Workflow code changes must never break running workflows: every recorded
 * history (test/fixtures/histories, made by scripts/record-histories.ts)
 * replays through the current workflow code without nondeterminism.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../infra/temporal/worker.ts';

const DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

describe('replay of recorded histories', () => {
  it('replays every fixture through the current workflow code', async () => {
    const files = (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(['cached.json', 'cancelled.json', 'completed.json', 'failed.json', 'paused-resumed.json']);
    const histories = await Promise.all(
      files.map(async (f) => ({ workflowId: f, history: JSON.parse(await readFile(join(DIR, f), 'utf8')) as unknown })),
    );
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) results.push(r);
    expect(results.map((r) => [r.workflowId, r.error?.message ?? null])).toEqual(files.map((f) => [f, null]));
  });
});
