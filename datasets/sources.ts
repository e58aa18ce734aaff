/**
 * A recipe's dataset `source:` as a stream of documents: built-in corpora, `file:` JSONL (inside the
 * run's data roots, under the ingest limits) and `artifact:` datasets. Streaming, so ingest holds one
 * document at a time, whatever the source's size.
 */
import { type ArtifactStore, isArtifactId } from './artifact-store.ts';
import { loadBrown } from './builtin/brown.ts';
import { EVAL_SETS } from './builtin/evalsets.ts';
import { loadSpamAssassin } from './builtin/spam-assassin.ts';
import { readDataset } from './dataset.ts';
import { type DataRoots, resolveFileRef } from './data-roots.ts';
import { DatasetInputError } from './errors.ts';
import { iterateJsonl } from './jsonl.ts';
import type { IngestLimits } from './limits.ts';
import type { RowShape } from './posttrain/rows.ts';
import { generateTasks, type Split } from './posttrain/tasks.ts';
import type { Doc } from './types.ts';

export { DatasetInputError } from './errors.ts';

/**
 * A recipe's dataset entry: `source` plus source-specific options (`genres` for Brown; `tasks`, `split`,
 * `seed` for the generated tasks; `shape` for the tasks and `file:` rows; `limit` for all). The compiler has
 * checked the names (recipe/sources.ts); a plan from elsewhere that names an unknown one fails here.
 */
export type SourceSpec = { source: string; genres?: string[]; limit?: number; shape?: RowShape; tasks?: string[]; split?: Split; seed?: number; digits?: [number, number]; [k: string]: unknown };

/** What a source needs from its surroundings. */
export interface SourceContext {
  store: ArtifactStore;
  /** Directory `file:` paths are resolved against (the recipe's directory or the caller's cwd). */
  cwd: string;
  /** Where `file:` sources may be (symlinks resolved); default null: anywhere (a trusted local caller). */
  dataRoots?: DataRoots;
  /** Limits on a `file:` source (line length, documents, decompressed bytes); unset ones take the defaults. */
  limits?: Partial<IngestLimits>;
  /** Aborting stops reading. */
  signal?: AbortSignal;
}

type Loader = (spec: SourceSpec, ctx: SourceContext, rest: string) => AsyncIterable<Doc> | Iterable<Doc>;

const BUILTINS = new Map<string, (spec: SourceSpec) => Doc[]>([
  ['brown', (spec) => loadBrown({ genres: spec.genres, limit: spec.limit })],
  ['spam-assassin', (spec) => loadSpamAssassin({ groups: spec.groups, limit: spec.limit })],
  ['tasks', (spec) => generateTasks({ tasks: spec.tasks, shape: spec.shape, split: spec.split, seed: spec.seed, limit: spec.limit, digits: spec.digits })],
  ...[...EVAL_SETS].map(([name, load]) => [name, (spec: SourceSpec) => load({ limit: spec.limit })] as const),
]);

const SCHEMES = new Map<string, Loader>(Object.entries({
  builtin: (spec, _ctx, name) => {
    const load = BUILTINS.get(name);
    if (!load) {
      throw new DatasetInputError(`unknown builtin dataset "${spec.source}": available are ${[...BUILTINS.keys()].map((b) => `builtin:${b}`).join(', ')}`);
    }
    return load(spec);
  },
  file: (spec, ctx, ref) => {
    const abs = resolveFileRef(ref, ctx.cwd);
    if (!/\.jsonl(\.gz)?$/.test(abs)) throw new DatasetInputError(`${spec.source}: expected a .jsonl or .jsonl.gz file`);
    return iterateJsonl(abs, {
      limit: spec.limit,
      displayPath: ref.startsWith('//') ? abs : ref,
      dataRoots: ctx.dataRoots ?? null,
      limits: ctx.limits,
      signal: ctx.signal,
      shape: spec.shape,
    });
  },
  artifact: async function* (spec, ctx, id) {
    if (!isArtifactId(id)) throw new DatasetInputError(`${spec.source}: expected artifact:<sha256>, 64 lowercase hex digits`);
    if (!(await ctx.store.has(id))) throw new DatasetInputError(`${spec.source}: no such artifact in ${ctx.store.location}`);
    const { kind } = await ctx.store.get(id);
    if (kind !== 'dataset') throw new DatasetInputError(`${spec.source}: is a ${kind} artifact, not a dataset`);
    let n = 0;
    for await (const doc of readDataset(ctx.store, id)) {
      if (spec.limit !== undefined && n >= spec.limit) break;
      n += 1;
      yield doc;
    }
  },
} satisfies Record<string, Loader>));

/** The source forms {@link loadSource} accepts, for error messages and help text. */
export const SUPPORTED_SOURCES = [
  ...[...BUILTINS.keys()].map((b) => `builtin:${b}`),
  'file:<path>.jsonl[.gz]',
  'artifact:<sha256>',
];

/**
 * Resolves a recipe's dataset `source:` into a stream of documents:
 * `builtin:brown` (options `genres`, `limit`), `file:<path>.jsonl[.gz]` (relative to `ctx.cwd`, or
 * absolute), `artifact:<sha256>` (a dataset in `ctx.store`). `limit` keeps the first N documents.
 * Anything else — unknown scheme, missing file, bad line, unknown genre, `genres` on a source without
 * genres — is a {@link DatasetInputError} naming the source or `file:line`.
 */
export async function* iterateSource(spec: SourceSpec, ctx: SourceContext): AsyncGenerator<Doc> {
  const { source } = spec;
  const colon = source.indexOf(':');
  const scheme = colon < 0 ? '' : source.slice(0, colon);
  const rest = colon < 0 ? '' : source.slice(colon + 1);
  const loader = SCHEMES.get(scheme);
  if (!loader || rest === '') {
    throw new DatasetInputError(`unsupported dataset source "${source}": expected one of ${SUPPORTED_SOURCES.join(', ')}`);
  }
  if (spec.limit !== undefined && (!Number.isInteger(spec.limit) || spec.limit < 1)) {
    throw new DatasetInputError(`${source}: limit must be a positive integer, got ${String(spec.limit)}`);
  }
  if (spec.genres !== undefined && source !== 'builtin:brown') {
    throw new DatasetInputError(`${source}: "genres" is only supported by builtin:brown`);
  }
  for (const key of ['tasks', 'split', 'seed', 'digits'] as const) {
    if (spec[key] !== undefined && source !== 'builtin:tasks') throw new DatasetInputError(`${source}: "${key}" is only supported by builtin:tasks`);
  }
  if (spec.shape !== undefined && source !== 'builtin:tasks' && scheme !== 'file') {
    throw new DatasetInputError(`${source}: "shape" is only supported by builtin:tasks and file: sources`);
  }
  yield* loader(spec, ctx, rest);
}

/** All documents of a source (see {@link iterateSource}); for small sources and tests. */
export async function loadSource(spec: SourceSpec, ctx: SourceContext): Promise<Doc[]> {
  const docs: Doc[] = [];
  for await (const doc of iterateSource(spec, ctx)) docs.push(doc);
  return docs;
}
