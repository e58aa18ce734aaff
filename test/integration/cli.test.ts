/**
 * The `braise` command as a user runs it: a real subprocess against the
 * suite's Temporal dev server, JSON on stdout, exit codes.
 */
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBraise as braise } from '../support/braise-cli.ts';
import { testHome, type TestHome } from './harness.ts';
import { tinyRecipe } from './recipes.ts';

describe('braise CLI', () => {
  let home: TestHome;
  beforeAll(async () => {
    home = await testHome('pglite');
  });
  afterAll(async () => home?.cleanup());

  it('rejects an invalid recipe with exit 2, every error listed, nothing started', async () => {
    const file = join(home.home, 'bad.yaml');
    await writeFile(file, tinyRecipe().replace('steps: 40', 'steps: -3').replace('inputs: [clean]', 'inputs: [clean]\n    bogus: true'));
    const r = await braise(['run', file, '--json'], home.env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('stages[1].with.steps');
    expect(r.stderr).toContain('unknown key "bogus"');
    expect(r.stderr).toMatch(/line \d+/);
  });

  it('refuses a --set naming no stage, or a value the stage refuses, with exit 2 and the key, nothing started', async () => {
    const file = join(home.home, 'set.yaml');
    await writeFile(file, tinyRecipe({ name: 'set' }));
    const noStage = await braise(['run', file, '--set', 'stages.nope.steps=3'], home.env);
    expect(noStage.code).toBe(2);
    expect(noStage.stderr).toContain('--set stages.nope.steps: no stage "nope" in this run (stages: clean, base, eval)');
    const badValue = await braise(['run', file, '--set', 'stages.base.steps=-1'], home.env);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('stages[1].with.steps');
  });

  it('refuses a file: source outside the working directory (a symlink to /etc/passwd) with exit 2, quoting nothing', async () => {
    const link = join(home.home, 'passwd.jsonl');
    await symlink('/etc/passwd', link);
    const file = join(home.home, 'escape.yaml');
    await writeFile(file, tinyRecipe({ name: 'escape' }).replace(/file:[^"]+/, `file:${link}`));
    const r = await braise(['run', file, '--json'], home.env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`datasets.noise.source: file:${link} is outside the allowed data roots: ${process.cwd()} (BRAISE_DATA_ROOTS)`);
    expect(r.stderr).not.toContain('root:x:0');
  });

  it('runs a recipe and prints the --json contract; lineage and status read it back', async () => {
    const file = join(home.home, 'tiny.yaml');
    await writeFile(file, tinyRecipe({ name: 'cli', steps: 40 }));
    // --set changes a stage's settings for this run: the file says 40 steps, the run trains 20.
    const r = await braise(['run', file, '--json', '--set', 'stages.base.steps=20'], home.env);
    expect(r.code, r.stderr).toBe(0);
    const view = JSON.parse(r.stdout) as {
      runId: string; workflowId: string; status: string; temporalUiUrl: string;
      stages: Array<{ id: string; kind: string; status: string; attempts: number; durationMs: number; outputs: Array<{ port: string; artifactId: string; kind: string }>; metrics: Record<string, number> }>;
    };
    expect(view.status).toBe('completed');
    expect(view.temporalUiUrl).toContain(`/workflows/${view.workflowId}`);
    expect(view.stages.map((s) => s.id)).toEqual(['web', 'noise', 'clean', 'base', 'eval']);
    for (const s of view.stages) {
      expect(s.status).toBe('completed');
      expect(s.attempts).toBe(1);
      expect(s.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(view.stages[3]!.metrics.steps).toBe(20);
    const report = view.stages[4]!.outputs[0]!;
    expect(report.kind).toBe('report');

    const lin = await braise(['lineage', report.artifactId, '--json'], home.env);
    expect(lin.code, lin.stderr).toBe(0);
    const tree = JSON.parse(lin.stdout) as { artifact: { id: string }; upstream: Array<{ artifact: { id: string; kind: string }; producedBy: { runId: string; stageId: string; kind: string } }> };
    expect(tree.artifact.id).toBe(report.artifactId);
    const stages = tree.upstream.map((u) => u.producedBy.stageId);
    expect(stages).toEqual(expect.arrayContaining(['base', 'clean', 'web', 'noise']));
    expect(tree.upstream.every((u) => u.producedBy.runId === view.runId)).toBe(true);

    const st = await braise(['status', view.runId, '--json'], home.env);
    expect(st.code, st.stderr).toBe(0);
    const status = JSON.parse(st.stdout) as { status: string; stages: Array<{ id: string; status: string }> };
    expect(status.status).toBe('completed');
    expect(status.stages.map((s) => s.status)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);

    // Human output of a second run: every stage cached, the table and the UI link.
    const again = await braise(['run', file], home.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/clean\s+filter\s+cached/);
    expect(again.stdout).toMatch(/bits per byte by domain/);
    expect(again.stdout).toContain('Temporal UI: ');
  });
});
