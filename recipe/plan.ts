/**
 * The compiled plan: the workflow's only input. Types only, so the
 * deterministic workflow code can import it.
 */
import type { RecipeIssue } from './errors.ts';
import type { ArtifactKind } from './stages/spec.ts';

export interface PlanInput {
  /** The producing node's id (a dataset name or a stage id). */
  node: string;
  /** The producing node's output port. */
  port: string;
  kind: ArtifactKind;
  /**
   * What the stage uses it for: `data` (the default: what it processes) or a
   * role named in its `with` block (`eval` sets to decontaminate against,
   * `high`/`low` quality examples for the classifier, a `model` to rewrite with).
   */
  role?: string;
}

export interface PlanNode {
  id: string;
  /** `ingest` nodes load a recipe's `datasets:` entries; the rest are stages. */
  kind: string;
  queue: string;
  inputs: PlanInput[];
  /** Resolved settings: the stage's `with` block with every default filled in (for ingest: the dataset spec). */
  with: Record<string, unknown>;
  /** Recipe-level settings a stage depends on (model shape, seed). */
  context: { model: Record<string, unknown>; seed: number };
  ports: Record<string, ArtifactKind>;
  /**
   * sha256(kind, normalized with, context, implementation version). The stage's
   * cache key adds the ids of the input artifacts, known once they exist.
   */
  fingerprint: string;
  implVersion: string;
  timeouts: { startToCloseMs: number; heartbeatMs: number | null };
  retry: { maximumAttempts: number };
  onFailure: 'pause' | 'fail';
}

export interface Plan {
  apiVersion: 'braise/v1';
  name: string;
  /** sha256 of the normalized recipe. */
  recipeHash: string;
  /** Nodes in topological order. */
  nodes: PlanNode[];
  /** The normalized recipe, for display and for resume with changed settings. */
  recipe: unknown;
  /**
   * What the compiler noticed but did not refuse (e.g. a dataset no stage uses, which is not ingested), with
   * paths and lines like errors. Absent in plans compiled before warnings existed.
   */
  warnings?: RecipeIssue[];
  /** A recipe with a `sweep:` block: its cells, each compiled to a plan of its own (the parent's `nodes` are empty). */
  sweep?: SweepPlan;
}

/** One cell of a sweep: the values it sets (by sweep path) and its compiled plan (a recipe without `sweep`). */
export interface SweepCellPlan {
  /** 1-based, in expansion order. */
  index: number;
  values: Record<string, unknown>;
  plan: Omit<Plan, 'sweep'>;
}

export interface SweepPlan {
  /** The paths the cells set, in the order the report's columns show them. */
  paths: string[];
  cells: SweepCellPlan[];
  parallelism: number;
  /** `baseline`: the index of the cell the others are measured against (compare.baseline), or absent. */
  compare: { metric: string; goal: 'minimize' | 'maximize'; baseline?: number } | null;
  regressionThreshold: number;
}

export interface RunOptions {
  noCache: boolean;
  onFailure?: 'pause' | 'fail';
  /** Where `file:` sources may be read, set by the trusted starter (never by the recipe); absent: the worker's own. */
  dataRoots?: string[];
  /** The Temporal Schedule that started this run (its name), absent for runs started by hand. */
  schedule?: string;
  /**
   * The run that started this one: a sweep's cell names its ablation run and its index (`cell`); a proxy of an
   * ablation stage (mixsearch, mergeablation) names the run and the stage (`stageId`).
   */
  parent?: { runId: string; cell?: number; stageId?: string };
}

export interface RecipeRunInput {
  runId: string;
  plan: Plan;
  options: RunOptions;
  /** Set when this execution resumes an earlier one. */
  resumedFrom?: string | null;
}
