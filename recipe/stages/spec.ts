/**
 * What a stage kind declares about itself, in one place: the shape every module in recipe/stages/
 * fills in and the registry (index.ts) lists. The compiler, the workflow's activity contract, the
 * typed activities, the CLI's headlines and the conformance test all read it, so adding a kind means
 * one spec module, its activity and one registry line. PURE: zod and types only (recipe/ is imported
 * by the workflow bundle and the compiler thread).
 */
import type { z } from 'zod';

export type ArtifactKind = 'dataset' | 'model' | 'report';

/** A reference a stage's `with` block makes (`decontaminate.against[0]: evals`): it becomes an input with a role. */
export interface RoleRef {
  ref: string;
  role: string;
  /** Where in the `with` block, e.g. `decontaminate.against[0]`. */
  path: string;
}

/** A problem a kind's own compile-time check finds, its path relative to the `with` block (or the stage's `inputs`, `inputs[0]`). */
export interface WithIssue {
  path: string;
  message: string;
}

/** What a kind's compile-time check may see of the recipe around its stage. */
export interface StageContext {
  inputs: readonly string[];
  datasets?: Readonly<Record<string, { source: string; shape?: string }>>;
  stageNamed?(id: string): { kind: string; with: unknown; inputs: readonly string[] } | undefined;
  /** The domains a recipe dataset's documents carry, when the recipe alone says (builtin:brown's genres); else undefined. */
  datasetDomains?(name: string): readonly string[] | undefined;
}

/** Everything the rest of Braise needs to know about one kind. */
export interface StageSpec<K extends string = string, W extends z.ZodType = z.ZodType, S extends z.ZodType = z.ZodType> {
  kind: K;
  /** One line for humans (the README's stages table says more). */
  summary: string;
  /** The `with` block as users write it: zod, with every default that does not depend on another field. */
  with: W;
  /**
   * The settings the stage runs with: `with` plus the defaults that depend on other fields (a pretrain's
   * warmup from its steps), filled by the compiler so the plan and the fingerprint carry them. Parsing a
   * resolved block again gives it back unchanged (the activity parses its plan node's settings with it).
   */
  settings: S;
  /** What the stage's `inputs:` accept; `requires`: at least one input of that kind. */
  inputs: { accepts: readonly ArtifactKind[]; requires?: ArtifactKind };
  /** Roles of the references its `with` block makes, and the artifact kind each must be (`data` is `inputs:`). */
  roles: Readonly<Record<string, ArtifactKind>>;
  /** The references in a parsed `with` block, in a fixed order (it is part of the cache key). */
  refs?(w: z.output<W>): RoleRef[];
  /** Output ports; the first is the default when an input names only the stage. */
  ports: Readonly<Record<string, ArtifactKind>>;
  queue: 'braise-cpu' | 'braise-gpu';
  /** Long stages heartbeat; their default timeouts are longer. */
  long: boolean;
  /** false: in the recipe format, refused by the compiler until it is built (recipe/availability.ts). */
  available: boolean;
  /** Part of every cache key: bump it when the stage's output for the same inputs and settings changes. */
  implVersion: string;
  /** Trains the Braise GPT with a `batchSize` in its `with` block: its memory is estimated at compile time. */
  trains?: true;
  /** Inputs implied by the ones written (evaluate scores a pretrained model's held-out split). */
  impliedInputs?: (written: ReadonlyArray<{ node: string; kind: ArtifactKind }>, portsOf: (node: string) => Readonly<Record<string, ArtifactKind>> | undefined) => Array<{ node: string; port: string; kind: ArtifactKind }>;
  /**
   * Compile-time checks beyond the schema (what this version cannot run yet, say), given the stage's `inputs:` as
   * written, the recipe's `datasets:` entries (evaluate checks a task's rows have its shape) and, for a stage that
   * depends on an upstream stage's settings (upsample continues a pretrain's schedule), `stageNamed(id)`: that
   * stage's kind, parsed `with` block and inputs, or undefined for no such stage.
   */
  check?(w: z.output<W>, stage: StageContext): WithIssue[];
  /** Metrics the CLI's stage table shows for it. */
  headline: readonly string[];
}

/**
 * Any kind's spec, as the registry holds them. `refs` and `check` are methods, so a spec whose functions
 * take its own settings type is one (each module declares its spec `as const satisfies StageSpec<…>`).
 */
export type AnyStageSpec = StageSpec;
