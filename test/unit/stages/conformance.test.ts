/**
 * The stage registry is complete and consistent: walks every kind in recipe/stages/index.ts (and
 * `ingest`) and checks what the rest of Braise relies on. Its defaults parse, and parsing resolved
 * settings again changes nothing (an activity re-parses its plan node's settings); every runnable
 * kind has an activity registered under its name, and the workflow's list of activity names is the
 * registry's; ports, roles and input kinds are artifact kinds, references name declared roles; each
 * spec lives in recipe/stages/<kind>.ts as `<kind>Stage`; the README's stages table names it.
 * A new kind that misses any of these fails here (a missing activity already fails `npm run typecheck`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createActivities, type ActivityDeps } from '../../../activities/index.ts';
import { ARTIFACT_KINDS } from '../../../datasets/types.ts';
import { compileRecipe, parseRecipeText, STAGE_QUEUES } from '../../../recipe/index.ts';
import { NODE_SPECS, RUNNABLE_KINDS, STAGE_KINDS, type AnyStageSpec, type NodeKind } from '../../../recipe/stages/index.ts';
import { STAGE_ACTIVITY_KINDS } from '../../../workflows/activity-guard.ts';

const KINDS = Object.keys(NODE_SPECS) as NodeKind[];
const spec = (kind: NodeKind): AnyStageSpec => NODE_SPECS[kind];

/** The smallest `with` block each kind takes: `{}` for every stage kind (all defaults); a dataset spec for ingest. */
const MINIMAL: Partial<Record<NodeKind, unknown>> = { ingest: { source: 'builtin:brown' }, mixsearch: { target: 'evals' }, mergeablation: { target: 'evals' } };

/** `with` blocks that make references, to check each comes out under a role its kind declares. */
const WITH_REFS: Partial<Record<NodeKind, unknown>> = {
  filter: { decontaminate: { against: ['evals'] }, classifier: { high: ['good'], low: ['bad'] } },
  rewrite: { engine: 'model', model: 'base', classifier: { high: ['good'], low: ['bad'] } },
  merge: { method: 'ties', base: 'base' },
  dpo: { pairs: { chosen: 'tuned', rejected: 'base' } },
  mixsearch: { target: 'evals' },
  mergeablation: { target: 'evals' },
};

describe('the stage registry', () => {
  it('lists every recipe kind once, and ingest', () => {
    expect(new Set(STAGE_KINDS).size).toBe(STAGE_KINDS.length);
    expect(KINDS).toEqual(['ingest', ...STAGE_KINDS]);
    for (const kind of KINDS) expect(spec(kind).kind).toBe(kind);
  });

  it.each(KINDS)('%s: its spec module is recipe/stages/<kind>.ts exporting <kind>Stage', async (kind) => {
    const module = (await import(`../../../recipe/stages/${kind}.ts`)) as Record<string, unknown>;
    expect(module[`${kind}Stage`]).toBe(NODE_SPECS[kind]);
  });

  it.each(KINDS)('%s: its defaults parse, and resolved settings parse to themselves', (kind) => {
    const s = spec(kind);
    const minimal = MINIMAL[kind] ?? {};
    const written = s.with.parse(minimal);
    const resolved = s.settings.parse(written);
    expect(s.settings.parse(JSON.parse(JSON.stringify(resolved)))).toEqual(resolved);
    expect(s.with.safeParse(JSON.parse(JSON.stringify(resolved))).success).toBe(true);
  });

  it.each(KINDS)('%s: ports, inputs and roles are artifact kinds that fit together', (kind) => {
    const s = spec(kind);
    expect(Object.keys(s.ports).length).toBeGreaterThan(0);
    for (const k of [...Object.values(s.ports), ...s.inputs.accepts, ...Object.values(s.roles)]) expect(ARTIFACT_KINDS).toContain(k);
    if (s.inputs.requires !== undefined) expect(s.inputs.accepts).toContain(s.inputs.requires);
    expect(Object.keys(s.roles)).not.toContain('data');
    if (Object.keys(s.roles).length > 0) expect(s.refs).toBeTypeOf('function');
    expect(STAGE_QUEUES).toContain(s.queue);
    expect(s.implVersion).toMatch(/^\d+$/);
    if (s.available) expect(s.headline.length).toBeGreaterThan(0);
  });

  it.each(KINDS)('%s: the references its with block makes name declared roles', (kind) => {
    const s = spec(kind);
    const withRefs = WITH_REFS[kind];
    if (withRefs === undefined) {
      expect(s.refs?.(s.with.parse(MINIMAL[kind] ?? {})) ?? []).toEqual([]);
      return;
    }
    const refs = s.refs!(s.with.parse(withRefs));
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) expect(Object.keys(s.roles)).toContain(r.role);
    expect(new Set(refs.map((r) => r.role))).toEqual(new Set(Object.keys(s.roles)));
  });

  it('every runnable kind has an activity under its name, and the workflow knows exactly those', () => {
    const { stages } = createActivities({} as ActivityDeps);
    expect(Object.keys(stages).sort()).toEqual([...RUNNABLE_KINDS].sort());
    for (const kind of RUNNABLE_KINDS) expect(stages[kind]).toBeTypeOf('function');
    expect([...STAGE_ACTIVITY_KINDS].sort()).toEqual([...RUNNABLE_KINDS].sort());
  });

  it("the README's stages table names every recipe kind", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Stages\n'), readme.indexOf('\n## ', readme.indexOf('\n## Stages\n') + 1));
    const named = new Set(
      section
        .split('\n')
        .filter((line) => line.startsWith('| `'))
        .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]!)),
    );
    for (const kind of STAGE_KINDS) expect(named, `README "## Stages" table lacks \`${kind}\``).toContain(kind);
  });
});

describe('defaults filled at compile time', () => {
  const recipe = (withBlock: string) => `apiVersion: braise/v1
name: defaults
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [a] }
stages:
  - id: base
    kind: pretrain
    inputs: [web]
    with: ${withBlock}
`;
  const node = (withBlock: string) => compileRecipe(parseRecipeText(recipe(withBlock))).nodes.find((n) => n.id === 'base')!;

  it("the plan carries pretrain's warmup and its mixture's own defaults, and only those", () => {
    expect(node('{ steps: 40 }').with).toMatchObject({ steps: 40, warmupSteps: 4 });
    expect(node('{ steps: 5000 }').with).toMatchObject({ warmupSteps: 100 });
    expect(node('{ mixture: { method: skill-it } }').with.mixture).toEqual({ method: 'skill-it', eta: 1, updateEvery: 25, window: 3 });
    expect(node('{ mixture: { method: temperature, eta: 3 } }').with.mixture).toEqual({ method: 'temperature', temperature: 2 });
  });

  it('the fingerprint changes exactly when the resolved settings do', () => {
    expect(node('{ steps: 40 }').fingerprint).toBe(node('{ steps: 40, warmupSteps: 4 }').fingerprint);
    expect(node('{ steps: 40 }').fingerprint).not.toBe(node('{ steps: 40, warmupSteps: 5 }').fingerprint);
    expect(node('{ mixture: { method: skill-it } }').fingerprint).toBe(node('{ mixture: { method: skill-it, eta: 1, updateEvery: 25, window: 3 } }').fingerprint);
    // A parameter the method ignores cannot change the run, so it does not change the cache key.
    expect(node('{ mixture: { method: stratified } }').fingerprint).toBe(node('{ mixture: { method: stratified, eta: 4 } }').fingerprint);
  });
});
