import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ArtifactStore, isArtifactId } from './artifact-store.ts';
import { loadBrown } from './builtin/brown.ts';
import { EVAL_SETS } from './builtin/evalsets.ts';
import { loadSpamAssassin } from './builtin/spam-assassin.ts';
import { readDataset } from './dataset.ts';
import { DatasetInputError } from './errors.ts';
import { readJsonl } from './jsonl.ts';
import type { Doc } from './types.ts';

export { DatasetInputError } from './errors.ts';

/** A recipe's dataset entry: `source` plus source-specific options (`genres` for Brown; `limit` for all). */
export type SourceSpec = { source: string; genres?: string[]; limit?: number; [k: string]: unknown };

/** What a source needs from its surroundings. */
export interface SourceContext {
  store: ArtifactStore;
  /** Directory `file:` paths are resolved against (the recipe's directory or the caller's cwd). */
  cwd: string;
}

type Loader = (spec: SourceSpec, ctx: SourceContext, rest: string) => Promise<Doc[]>;

const BUILTINS = new Map<string, (spec: SourceSpec) => Doc[]>([
  ['brown', (spec) => loadBrown({ genres: spec.genres, limit: spec.limit })],
  ['spam-assassin', (spec) => loadSpamAssassin({ groups: spec.groups, limit: spec.limit })],
  ...[...EVAL_SETS].map(([name, load]) => [name, (spec: SourceSpec) => load({ limit: spec.limit })] as const),
]);

const SCHEMES = new Map<string, Loader>(Object.entries({
  builtin: async (spec, _ctx, name) => {
    const load = BUILTINS.get(name);
    if (!load) {
      throw new DatasetInputError(`unknown builtin dataset "${spec.source}": available are ${[...BUILTINS.keys()].map((b) => `builtin:${b}`).join(', ')}`);
    }
    return load(spec);
  },
  file: async (spec, ctx, ref) => {
    const abs = ref.startsWith('//') ? fileURLToPath(`file:${ref}`) : path.resolve(ctx.cwd, ref);
    if (!/\.jsonl(\.gz)?$/.test(abs)) throw new DatasetInputError(`${spec.source}: expected a .jsonl or .jsonl.gz file`);
    return readJsonl(abs, { limit: spec.limit, displayPath: ref.startsWith('//') ? abs : ref });
  },
  artifact: async (spec, ctx, id) => {
    if (!isArtifactId(id)) throw new DatasetInputError(`${spec.source}: expected artifact:<sha256>, 64 lowercase hex digits`);
    if (!(await ctx.store.has(id))) throw new DatasetInputError(`${spec.source}: no such artifact in ${ctx.store.root}`);
    const { kind } = await ctx.store.get(id);
    if (kind !== 'dataset') throw new DatasetInputError(`${spec.source}: is a ${kind} artifact, not a dataset`);
    const docs: Doc[] = [];
    for await (const doc of readDataset(ctx.store, id)) {
      if (spec.limit !== undefined && docs.length >= spec.limit) break;
      docs.push(doc);
    }
    return docs;
  },
} satisfies Record<string, Loader>));

/** The source forms {@link loadSource} accepts, for error messages and help text. */
export const SUPPORTED_SOURCES = [
  ...[...BUILTINS.keys()].map((b) => `builtin:${b}`),
  'file:<path>.jsonl[.gz]',
  'artifact:<sha256>',
];

/**
 * Resolves a recipe's dataset `source:` into documents:
 * `builtin:brown` (options `genres`, `limit`), `file:<path>.jsonl[.gz]` (relative to `ctx.cwd`, or
 * absolute), `artifact:<sha256>` (a dataset in `ctx.store`). `limit` keeps the first N documents.
 * Anything else — unknown scheme, missing file, bad line, unknown genre, `genres` on a source without
 * genres — is a {@link DatasetInputError} naming the source or `file:line`.
 */
export async function loadSource(spec: SourceSpec, ctx: SourceContext): Promise<Doc[]> {
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
  return loader(spec, ctx, rest);
}
