/**
 * Offline data mixing: domain weights by a method, then a seeded sample of documents per domain up
 * to a token budget. Pure (no I/O). Tokens are UTF-8 bytes (Braise's tokenizer is byte-level).
 *
 * - `static`: the recipe's `weights`, normalised to sum 1. A domain the weights do not name gets 0.
 *   Without weights: proportional to each domain's tokens (the data's own mixture).
 * - `temperature`: p_i ∝ n_i^(1/T), n_i = tokens of domain i (T = 1: natural proportions; larger T
 *   flattens towards uniform).
 * - `stratified`: uniform over the domains that have tokens.
 *
 * Sampling: domain i gets a target of w_i × budget tokens. Its documents are walked in a seeded
 * random order, pass after pass (a new order each pass, so an upsampled domain repeats whole passes
 * before any document appears a third time), taking documents while that brings the domain's tokens
 * closer to its target: a document is taken when `taken + tokens/2 < target`, the first one that
 * fails ends the domain. Repeated documents get ids `<id>#<k>` (k = 1, 2, …) and
 * `meta.sourceId`/`meta.repeat`. The output is shuffled (seeded) across domains.
 */
import { UNKNOWN_DOMAIN } from '../../datasets/dataset.ts';
import type { Doc } from '../../datasets/types.ts';
import { hashSeed, mulberry32, type Rng } from '../../ml/random.ts';
import { StageInputError } from '../errors.ts';

/** Methods the mix stage computes from the data itself. */
export const OFFLINE_METHODS = ['static', 'temperature', 'stratified'] as const;
export type OfflineMethod = (typeof OFFLINE_METHODS)[number];

/** Tokens of a document: its text's UTF-8 bytes. */
export function docTokens(doc: Doc): number {
  return Buffer.byteLength(doc.text, 'utf8');
}

/** The domain a document counts under ({@link UNKNOWN_DOMAIN} when it has none). */
export function domainOf(doc: Doc): string {
  return doc.domain ?? UNKNOWN_DOMAIN;
}

/** Documents by domain, in input order; domains sorted by name. */
export function groupByDomain(docs: Iterable<Doc>): Map<string, Doc[]> {
  const groups = new Map<string, Doc[]>();
  for (const doc of docs) {
    const list = groups.get(domainOf(doc)) ?? [];
    list.push(doc);
    groups.set(domainOf(doc), list);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Tokens per domain, same key order as `groups`. */
export function tokensByDomain(groups: ReadonlyMap<string, readonly Doc[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [domain, docs] of groups) out[domain] = docs.reduce((a, d) => a + docTokens(d), 0);
  return out;
}

/** Weights normalised to sum 1 (same keys); throws when they sum to 0. */
export function normalize(weights: Record<string, number>, where: string): Record<string, number> {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new StageInputError(`${where}: the weights of domains with data sum to 0`);
  return Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, v / total]));
}

/** Settings of {@link mixtureWeights}. */
export interface WeightSettings {
  method: OfflineMethod;
  /** `static` only: weight per domain (any non-negative scale). */
  weights?: Record<string, number>;
  /** `temperature` only. */
  temperature?: number;
}

/**
 * The mixture weights (summing to 1, one per domain of `tokens`, in its key order) of a method, given
 * each domain's tokens. Domains without tokens get 0 (nothing can be sampled from them). Throws a
 * {@link StageInputError} naming the field for weights of unknown or empty domains, a non-positive
 * temperature, or weights on a method that does not use them.
 */
export function mixtureWeights(settings: WeightSettings, tokens: Record<string, number>): Record<string, number> {
  const domains = Object.keys(tokens);
  const known = domains.join(', ') || '(none)';
  if (settings.method !== 'static' && settings.weights !== undefined) {
    throw new StageInputError(`with.weights: only method 'static' (and the online methods, as initial weights) use weights; method is '${settings.method}'`);
  }
  switch (settings.method) {
    case 'static': {
      // Without weights: the natural proportions (as the trainer's static policy does).
      if (settings.weights === undefined) return normalize({ ...tokens }, 'mix');
      for (const [domain, w] of Object.entries(settings.weights)) {
        if (!(domain in tokens)) throw new StageInputError(`with.weights.${domain}: no input document has domain '${domain}' (domains: ${known})`);
        if (!(w >= 0) || !Number.isFinite(w)) throw new StageInputError(`with.weights.${domain}: expected a finite number >= 0, got ${w}`);
        if (w > 0 && tokens[domain] === 0) throw new StageInputError(`with.weights.${domain}: domain '${domain}' has no tokens to sample`);
      }
      return normalize(Object.fromEntries(domains.map((d) => [d, settings.weights?.[d] ?? 0])), 'with.weights');
    }
    case 'temperature': {
      const t = settings.temperature ?? 1;
      if (!(t > 0) || !Number.isFinite(t)) throw new StageInputError(`with.temperature: expected a finite number > 0, got ${t}`);
      return normalize(Object.fromEntries(domains.map((d) => [d, tokens[d]! > 0 ? tokens[d]! ** (1 / t) : 0])), 'mix');
    }
    case 'stratified':
      return normalize(Object.fromEntries(domains.map((d) => [d, tokens[d]! > 0 ? 1 : 0])), 'mix');
    default:
      throw new StageInputError(`with.method: '${String(settings.method)}' is not an offline method (${OFFLINE_METHODS.join(', ')})`);
  }
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** 32-bit FNV-1a of a string, to seed a domain's order by its name (not its position). */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Documents of one domain up to `target` tokens (see the module comment), as indices into `docs`
 * in the order taken. Stops early, with what it has, when a pass adds nothing.
 */
export function sampleDomain(docs: readonly Doc[], target: number, rng: Rng): number[] {
  const taken: number[] = [];
  let total = 0;
  while (total < target) {
    const order = shuffle(docs.map((_, i) => i), rng);
    const before = taken.length;
    for (const i of order) {
      const n = docTokens(docs[i]!);
      if (!(total + n / 2 < target)) return taken;
      taken.push(i);
      total += n;
    }
    if (taken.length === before) return taken;
  }
  return taken;
}

/** Settings of {@link mixDocs}. */
export interface MixSettings extends WeightSettings {
  /** Token budget of the output; default: the input's total tokens. */
  tokens?: number;
  seed: number;
}

/** The mixed dataset and its accounting. */
export interface MixOutcome {
  docs: Doc[];
  /** One entry per input domain, sorted by name. */
  weights: Record<string, number>;
  /** Tokens of the output per domain (exact: the sum of its documents' UTF-8 bytes). */
  tokensByDomain: Record<string, number>;
  /** Tokens of the input per domain. */
  inputTokensByDomain: Record<string, number>;
  /** What each domain aimed at: weight × targetTokens. */
  targetTokensByDomain: Record<string, number>;
  targetTokens: number;
}

/** Mixes `docs` by `settings` (see the module comment). Deterministic given the documents, their order and `seed`. */
export function mixDocs(docs: Iterable<Doc>, settings: MixSettings): MixOutcome {
  const groups = groupByDomain(docs);
  const inputTokens = tokensByDomain(groups);
  const weights = mixtureWeights(settings, inputTokens);
  const totalInput = Object.values(inputTokens).reduce((a, b) => a + b, 0);
  const targetTokens = settings.tokens ?? totalInput;
  if (!Number.isInteger(targetTokens) || targetTokens < 0) throw new StageInputError(`with.tokens: expected an integer >= 0, got ${targetTokens}`);

  const picked: Doc[] = [];
  const outTokens: Record<string, number> = {};
  const targets: Record<string, number> = {};
  const uses = new Map<string, number>();
  for (const [domain, list] of groups) {
    targets[domain] = weights[domain]! * targetTokens;
    const rng = mulberry32(hashSeed(settings.seed >>> 0, nameHash(domain)));
    let tokens = 0;
    for (const i of sampleDomain(list, targets[domain]!, rng)) {
      const doc = list[i]!;
      tokens += docTokens(doc);
      const k = uses.get(doc.id) ?? 0;
      uses.set(doc.id, k + 1);
      picked.push(k === 0 ? doc : { ...doc, id: `${doc.id}#${k}`, meta: { ...doc.meta, sourceId: doc.id, repeat: k } });
    }
    outTokens[domain] = tokens;
  }
  shuffle(picked, mulberry32(hashSeed(settings.seed >>> 0, 0x6d6978)));
  return { docs: picked, weights, tokensByDomain: outTokens, inputTokensByDomain: inputTokens, targetTokensByDomain: targets, targetTokens };
}
