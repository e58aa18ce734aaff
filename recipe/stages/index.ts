/**
 * The stage registry: every kind recipes may write, in the order error messages list them, plus the
 * `ingest` node the compiler makes for datasets. Everything else derives from this list: the recipe
 * schema's union (schema.ts), ports, roles and checks (compile.ts), what is not built (availability.ts),
 * the activity contract (activities/types.ts: a runnable kind without an activity does not compile), the
 * CLI's headline metrics and the API's kind enum. A new kind is its spec module, its activity and one
 * line here (README: "Adding a stage kind"). PURE.
 */
import type { z } from 'zod';
import { dpoStage } from './dpo.ts';
import { evaluateStage } from './evaluate.ts';
import { filterStage } from './filter.ts';
import { ingestStage } from './ingest.ts';
import { mergeStage } from './merge.ts';
import { mergeablationStage } from './mergeablation.ts';
import { mixStage } from './mix.ts';
import { mixsearchStage } from './mixsearch.ts';
import { pretrainStage } from './pretrain.ts';
import { rewriteStage } from './rewrite.ts';
import { rlvrStage } from './rlvr.ts';
import { sftStage } from './sft.ts';
import type { AnyStageSpec, RoleRef, StageContext, WithIssue } from './spec.ts';
import { upsampleStage } from './upsample.ts';

export type { AnyStageSpec, ArtifactKind, RoleRef, StageContext, StageSpec, WithIssue } from './spec.ts';

/** The kinds a recipe's `stages:` may name, one line each. */
export const STAGE_SPECS = [
  filterStage,
  rewriteStage,
  mixStage,
  pretrainStage,
  upsampleStage,
  sftStage,
  dpoStage,
  rlvrStage,
  mergeStage,
  evaluateStage,
  mixsearchStage,
  mergeablationStage,
] as const;

type Specs = (typeof STAGE_SPECS)[number] | typeof ingestStage;
export type StageKind = (typeof STAGE_SPECS)[number]['kind'];
/** Every plan node kind: the stage kinds and `ingest`. */
export type NodeKind = Specs['kind'];
export type SpecOf<K extends NodeKind> = Extract<Specs, { kind: K }>;
/** The kinds this version can run (their spec says `available: true`): each must have an activity. */
export type RunnableKind = Extract<Specs, { available: true }>['kind'];
/** What a kind's activity receives as settings: its `with` block with every default, as the compiler resolved it. */
export type SettingsOf<K extends NodeKind> = z.output<SpecOf<K>['settings']>;

export const STAGE_KINDS = STAGE_SPECS.map((s) => s.kind) as [StageKind, ...StageKind[]];

/** Every node kind's spec, by kind. */
export const NODE_SPECS = Object.fromEntries([ingestStage, ...STAGE_SPECS].map((s) => [s.kind, s])) as { [K in NodeKind]: SpecOf<K> };

/** The kinds this version can run, ingest first. */
export const RUNNABLE_KINDS = (Object.keys(NODE_SPECS) as NodeKind[]).filter((k): k is RunnableKind => NODE_SPECS[k].available);

/** A node kind's spec, or undefined for a kind no module declares (a plan from elsewhere). */
export function specOf(kind: string): AnyStageSpec | undefined {
  return Object.hasOwn(NODE_SPECS, kind) ? (NODE_SPECS as Record<string, AnyStageSpec>)[kind] : undefined;
}

/** The role references of a stage's parsed `with` block (its spec's `refs`). */
export function refsOf(kind: StageKind, settings: unknown): RoleRef[] {
  return specOf(kind)?.refs?.(settings) ?? [];
}

/** A stage's own compile-time checks on its parsed `with` block (and its `inputs:` as written, the recipe's datasets and other stages). */
export function checksOf(kind: StageKind, settings: unknown, inputs: readonly string[] = [], recipe: Omit<StageContext, 'inputs'> = {}): WithIssue[] {
  return specOf(kind)?.check?.(settings, { datasets: {}, ...recipe, inputs }) ?? [];
}

/** The compiler's resolved settings of a parsed `with` block (its spec's `settings` schema: dependent defaults filled). */
export function resolveSettings(kind: NodeKind, settings: unknown): Record<string, unknown> {
  return NODE_SPECS[kind].settings.parse(settings) as Record<string, unknown>;
}
