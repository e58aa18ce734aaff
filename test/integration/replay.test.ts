/**
 * Workflow code changes must never break running workflows: every recorded
 * history (test/fixtures/histories, made by scripts/record-histories.ts; one
 * folder per generation of workflow behaviour, the first at the top) replays
 * through the current workflow code without nondeterminism.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { workflowBundle } from '../../infra/temporal/worker.ts';

const DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
/** Recorded after the first generation; each folder holds every scenario. */
const GENERATIONS = ['local-control-activities', 'batched-cache-lookup', 'stage-claims'];
/** Scenarios recorded from a generation on: `shared` (two runs of one recipe at once, the waiter's history) from stage-claims. */
const LATER_SCENARIOS: Record<string, string[]> = { 'stage-claims/': ['shared.json'] };

describe('replay of recorded histories', () => {
  it('replays every fixture through the current workflow code', async () => {
    const files = (await readdir(DIR, { recursive: true })).filter((f) => f.endsWith('.json')).sort();
    const scenarios = ['cached.json', 'cancelled.json', 'completed.json', 'failed.json', 'paused-resumed.json'];
    const generations = ['', ...GENERATIONS.map((g) => `${g}/`)];
    expect(files).toEqual(generations.flatMap((g) => [...scenarios, ...(LATER_SCENARIOS[g] ?? [])].map((s) => `${g}${s}`)).sort());
    const histories = await Promise.all(
      files.map(async (f) => ({ workflowId: f, history: JSON.parse(await readFile(join(DIR, f), 'utf8')) as unknown })),
    );
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) results.push(r);
    expect(results.map((r) => [r.workflowId, r.error?.message ?? null])).toEqual(files.map((f) => [f, null]));
  });

  it('the local-control-activities generation schedules stage activities only: control work is recorded as local activities', async () => {
    const scheduled = async (file: string) => {
      const history = z.object({ events: z.array(z.record(z.string(), z.unknown())) }).parse(JSON.parse(await readFile(join(DIR, file), 'utf8')));
      const types = history.events.flatMap((e) => {
        const a = z.object({ activityType: z.object({ name: z.string() }) }).safeParse(e.activityTaskScheduledEventAttributes);
        return a.success ? [a.data.activityType.name] : [];
      });
      const markers = history.events.filter((e) => e.markerRecordedEventAttributes !== undefined).length;
      return { types, markers };
    };
    const before = await scheduled('completed.json');
    expect(before.types).toEqual(expect.arrayContaining(['startRun', 'prepareStep', 'completeStep', 'setRunStatus']));
    const after = await scheduled('local-control-activities/completed.json');
    // One activity per stage run (ingest ×2, filter, pretrain, evaluate), nothing else through a task queue.
    expect(after.types.sort()).toEqual(['evaluate', 'filter', 'ingest', 'ingest', 'pretrain']);
    expect(after.markers).toBeGreaterThanOrEqual(1 + 2 * 5 + 2); // the patch, prepare + complete per stage, start and status
    const cached = await scheduled('local-control-activities/cached.json');
    expect(cached.types).toEqual([]);
  });

  it('the batched-cache-lookup generation looks up a cached rerun in one control call, not one per stage', async () => {
    const localActivities = async (file: string) => {
      const history = z.object({ events: z.array(z.record(z.string(), z.unknown())) }).parse(JSON.parse(await readFile(join(DIR, file), 'utf8')));
      return history.events.filter((e) => z.object({ markerName: z.literal('core_local_activity') }).safeParse(e.markerRecordedEventAttributes).success).length;
    };
    // Five stages: startRun, a prepareStep each, setRunStatus before; startRun, prepareCached, setRunStatus now.
    expect(await localActivities('local-control-activities/cached.json')).toBe(7);
    expect(await localActivities('batched-cache-lookup/cached.json')).toBe(3);
  });

  it('the stage-claims generation: a run started beside another of the same recipe waited on its claims (timers) and ran no activity', async () => {
    const history = z.object({ events: z.array(z.record(z.string(), z.unknown())) }).parse(JSON.parse(await readFile(join(DIR, 'stage-claims/shared.json'), 'utf8')));
    const has = (key: string) => history.events.filter((e) => e[key] !== undefined).length;
    expect(has('activityTaskScheduledEventAttributes')).toBe(0);
    expect(has('timerStartedEventAttributes')).toBeGreaterThanOrEqual(1);
  });
});
