import { access } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { readJson } from '../checkpoint-io.ts';
import { buildTokenStream, DEFAULT_DOMAIN, type ConsumedCounter, type ShardDoc, type TokenStream } from '../data.ts';
import { JobInputError } from '../errors.ts';
import type { GptModel } from '../gpt.ts';
import { sequenceNll } from '../loss.ts';
import { hashSeed, mulberry32 } from '../random.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { createMixturePolicy } from './index.ts';
import { checkMultipliers, reweightedPolicy } from './reweight.ts';
import { mixtureBatchAt, type MixtureBatch } from './sampling.ts';
import type { MixtureJobSpec, MixturePolicy } from './spec.ts';

/** The checkpoint file holding a mixture run's state. */
export const MIXTURE_STATE_FILE = 'mixture.json';

/** Steps whose per-domain losses make up `domainLoss`, as `finalLoss` averages the last 10 steps. */
const RECENT_STEPS = 10;

const sums = z.record(z.string(), z.tuple([z.number(), z.number()]));
const checkpointSchema = z.object({
  format: z.literal('braise.mixture/v1'),
  method: z.string(),
  domains: z.array(z.string()),
  policy: z.unknown(),
  /** Per domain [Σ NLL, tokens] since the last update. */
  pending: sums,
  /** Per domain [Σ max(ℓθ − ℓref, 0), tokens] since the last update (a policy that needs a reference model). */
  pendingExcess: sums.optional(),
  /** Per step (the last {@link RECENT_STEPS}) and domain, [Σ NLL, tokens]. */
  recent: z.array(z.tuple([z.number().int(), sums])),
});

/** `mixture.json`: everything a resumed mixture run needs to continue exactly. */
export type MixtureCheckpoint = z.infer<typeof checkpointSchema>;

type Sums = Record<string, [number, number]>;

function addTo(into: Sums, domain: string, nll: number, tokens: number): void {
  const s = into[domain];
  if (s === undefined) into[domain] = [nll, tokens];
  else {
    s[0] += nll;
    s[1] += tokens;
  }
}

/** Reads `mixture.json` of checkpoint `dir`; throws a {@link JobInputError} when it is missing or malformed. */
export async function loadMixtureCheckpoint(dir: string): Promise<MixtureCheckpoint> {
  const file = path.join(dir, MIXTURE_STATE_FILE);
  try {
    await access(dir);
  } catch {
    throw new JobInputError(`job.resumeFrom: ${dir}: checkpoint directory not found`);
  }
  try {
    await access(file);
  } catch {
    throw new JobInputError(`job.resumeFrom: ${dir} has no ${MIXTURE_STATE_FILE}: it was written by a run without job.mixture`);
  }
  return readJson(file, checkpointSchema);
}

/** Options of {@link MixtureRun.create}. */
export interface MixtureRunOptions {
  seed: number;
  batchSize: number;
  context: number;
  /** A checkpoint's `mixture.json` to continue from. */
  saved?: MixtureCheckpoint;
  /** Per-domain multipliers of the policy's weights (upsample: ./reweight.ts); unknown domains are refused, naming `reweightWhere`. */
  reweight?: Record<string, number>;
  reweightWhere?: string;
}

/**
 * The trainer's side of a mixture: per-domain token streams, the policy, per-domain loss
 * bookkeeping between updates, Aioli's probe windows, and the checkpointed state. Documents without
 * a `domain` belong to the domain `default`.
 */
export class MixtureRun {
  readonly names: string[];
  readonly updateEvery: number | undefined;
  #pending: Sums = {};
  #pendingExcess: Sums = {};
  #recent: Array<[number, Sums]> = [];
  #probe: { inputs: Int32Array; targets: Int32Array; rowDomains: number[] } | null = null;

  private constructor(
    readonly streams: TokenStream[],
    names: string[],
    readonly policy: MixturePolicy,
    private readonly spec: MixtureJobSpec,
    private readonly o: MixtureRunOptions,
  ) {
    this.names = names;
    this.updateEvery = spec.updateEvery;
  }

  /**
   * Groups `docs` by domain, checks every domain can fill a window of `context + 1` tokens, and
   * builds (or restores from `o.saved`) the policy. Bad input throws a {@link JobInputError} naming
   * `job.mixture…`.
   */
  static create(spec: MixtureJobSpec, docs: readonly ShardDoc[], tokenizer: Tokenizer, o: MixtureRunOptions): MixtureRun {
    const byDomain = new Map<string, ShardDoc[]>();
    for (const d of docs) {
      const key = d.domain ?? DEFAULT_DOMAIN;
      const list = byDomain.get(key);
      if (list === undefined) byDomain.set(key, [d]);
      else list.push(d);
    }
    const names = [...byDomain.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const streams = names.map((n) => buildTokenStream(byDomain.get(n)!, tokenizer));
    streams.forEach((s, i) => {
      if (s.tokens.length < o.context + 1) {
        throw new JobInputError(
          `job.mixture: domain '${names[i]}' has ${s.tokens.length} tokens, fewer than context + 1 = ${o.context + 1}; add documents or lower model.context`,
        );
      }
    });
    if (o.saved !== undefined && o.saved.domains.join('\u0000') !== names.join('\u0000')) {
      throw new JobInputError(`job.resumeFrom: the checkpoint mixed domains [${o.saved.domains.join(', ')}], the training data has [${names.join(', ')}]`);
    }
    const base = createMixturePolicy(
      spec,
      names.map((name, i) => ({ name, tokens: streams[i]!.tokens.length })),
      { seed: o.seed, state: o.saved?.policy, where: 'job.mixture', vocabSize: tokenizer.vocabSize },
    );
    if (o.reweight !== undefined) checkMultipliers(names, o.reweight, o.reweightWhere ?? 'job.reweight');
    const policy = o.reweight !== undefined ? reweightedPolicy(base, o.reweight) : base;
    const run = new MixtureRun(streams, names, policy, spec, o);
    if (o.saved !== undefined) {
      run.#pending = structuredClone(o.saved.pending);
      run.#pendingExcess = structuredClone(o.saved.pendingExcess ?? {});
      run.#recent = structuredClone(o.saved.recent);
    }
    if (spec.method === 'aioli') run.#probe = run.#probeWindows(spec.probeWindows ?? 8);
    return run;
  }

  /** The rows of 0-based step `step`, drawn from the policy's sampling weights for that step. */
  batchAt(step: number): MixtureBatch {
    const w = this.policy.samplingWeights(step);
    return mixtureBatchAt(this.streams, this.names.map((n) => w[n] ?? 0), this.o.seed, step, this.o.batchSize, this.o.context);
  }

  /** Tallies the documents `batch` read. */
  countConsumed(counter: ConsumedCounter, batch: MixtureBatch): void {
    batch.rowDomains.forEach((d, r) => counter.addWindow(this.streams[d]!, batch.windows[r]![0], batch.windows[r]![1]));
  }

  /** True when the policy scores each token against a reference model: {@link recordStep} then needs `rowExcess`. */
  get needsReference(): boolean {
    return this.policy.needsReference === true;
  }

  /**
   * Records the per-row NLL sums of the batch that completed step `step` (1-based count) and, for a
   * policy that {@link needsReference}, each row's sum over its tokens of max(ℓθ − ℓref, 0).
   */
  recordStep(step: number, batch: MixtureBatch, rowNll: Float32Array, rowExcess?: Float32Array): void {
    if (this.needsReference && rowExcess === undefined) throw new Error(`${this.policy.method}: step ${step} recorded without the excess loss over the reference model`);
    const stepSums: Sums = {};
    batch.rowDomains.forEach((d, r) => addTo(stepSums, this.names[d]!, rowNll[r]!, this.o.context));
    if (this.updateEvery !== undefined) for (const [n, [nll, tokens]] of Object.entries(stepSums)) addTo(this.#pending, n, nll, tokens);
    if (this.updateEvery !== undefined && rowExcess !== undefined) batch.rowDomains.forEach((d, r) => addTo(this.#pendingExcess, this.names[d]!, rowExcess[r]!, this.o.context));
    this.#recent.push([step, stepSums]);
    if (this.#recent.length > RECENT_STEPS) this.#recent.shift();
  }

  /**
   * After step `step` completed: measures the probe losses if the policy wants them, then, on a
   * multiple of `updateEvery`, updates the policy with the mean per-domain loss since the last
   * update. Returns the new weights after an update, else null.
   */
  async afterStep(step: number, model: GptModel): Promise<Record<string, number> | null> {
    if (this.#probe !== null && this.policy.wantsProbe(step)) this.policy.observeProbe(step, await this.#probeLoss(model));
    if (this.updateEvery === undefined || step % this.updateEvery !== 0) return null;
    const mean = (s: Sums) => Object.fromEntries(Object.entries(s).map(([n, [total, tokens]]) => [n, total / tokens]));
    this.policy.update(step, mean(this.#pending), this.needsReference ? mean(this.#pendingExcess) : undefined);
    this.#pending = {};
    this.#pendingExcess = {};
    return this.policy.weights();
  }

  /** Per-domain mean loss (nats/token) over the last ≤ 10 steps; domains not sampled then are absent. */
  domainLoss(): Record<string, number> {
    const total: Sums = {};
    for (const [, s] of this.#recent) for (const [n, [nll, tokens]] of Object.entries(s)) addTo(total, n, nll, tokens);
    return Object.fromEntries(this.names.filter((n) => total[n] !== undefined).map((n) => [n, total[n]![0] / total[n]![1]]));
  }

  /** The state to write as `mixture.json`. */
  checkpoint(): MixtureCheckpoint {
    return {
      format: 'braise.mixture/v1',
      method: this.spec.method,
      domains: [...this.names],
      policy: this.policy.state(),
      pending: structuredClone(this.#pending),
      ...(this.needsReference ? { pendingExcess: structuredClone(this.#pendingExcess) } : {}),
      recent: structuredClone(this.#recent),
    };
  }

  /** `perDomain` fixed windows of each domain, seeded by (seed, domain index): the same at every probe and after a resume. */
  #probeWindows(perDomain: number): { inputs: Int32Array; targets: Int32Array; rowDomains: number[] } {
    const T = this.o.context;
    const rows = perDomain * this.names.length;
    const inputs = new Int32Array(rows * T);
    const targets = new Int32Array(rows * T);
    const rowDomains: number[] = [];
    this.streams.forEach((stream, d) => {
      const rng = mulberry32(hashSeed(this.o.seed, 0x70726f62, d)); // 'prob'
      for (let i = 0; i < perDomain; i++) {
        const off = Math.floor(rng() * (stream.tokens.length - T));
        const row = rowDomains.length;
        inputs.set(stream.tokens.subarray(off, off + T), row * T);
        targets.set(stream.tokens.subarray(off + 1, off + T + 1), row * T);
        rowDomains.push(d);
      }
    });
    return { inputs, targets, rowDomains };
  }

  async #probeLoss(model: GptModel): Promise<Record<string, number>> {
    const { inputs, targets, rowDomains } = this.#probe!;
    const R = rowDomains.length;
    const T = this.o.context;
    const nll = tf.tidy(() => sequenceNll(model, tf.tensor2d(inputs, [R, T], 'int32'), tf.tensor2d(targets, [R, T], 'int32')).nll);
    const rows = await nll.data();
    nll.dispose();
    const total: Sums = {};
    rowDomains.forEach((d, r) => addTo(total, this.names[d]!, rows[r]!, T));
    return Object.fromEntries(Object.entries(total).map(([n, [s, tokens]]) => [n, s / tokens]));
  }
}
