import * as tf from '@tensorflow/tfjs-core';

/** Hyper-parameters of {@link AdamW}. */
export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** Serialisable optimizer state: what a checkpoint stores to resume bit-for-bit. */
export interface AdamWState {
  /** Updates applied so far (bias correction uses step + 1 for the next one). */
  step: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** First and second moments by parameter name. */
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

/**
 * Decoupled weight decay applies to parameters of rank ≥ 2 (the weight matrices and both embeddings,
 * as in nanoGPT) and never to biases or LayerNorm gains/offsets, where decay only hurts.
 */
export function decays(param: tf.Tensor): boolean {
  return param.rank >= 2;
}

/**
 * AdamW (Loshchilov & Hutter) written out by hand, PyTorch semantics:
 * m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr·wd·p − lr·m̂/(√v̂ + ε), with
 * m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ). Moments live in tf.Variables updated in place.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private stepCount = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    opts: AdamWOptions = {},
  ) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.95;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    tf.tidy(() => {
      for (const [name, p] of params) {
        this.m.set(name, tf.variable(tf.zerosLike(p), false));
        this.v.set(name, tf.variable(tf.zerosLike(p), false));
      }
    });
  }

  /** Number of updates applied. */
  get step(): number {
    return this.stepCount;
  }

  /** Applies one update with learning rate `lr`; `grads` is keyed by parameter name. */
  apply(grads: Readonly<Record<string, tf.Tensor>>, lr: number): void {
    const t = this.stepCount + 1;
    const c1 = 1 - this.beta1 ** t;
    const c2 = 1 - this.beta2 ** t;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (g === undefined) throw new Error(`AdamW.apply: no gradient for '${name}'`);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const denom = tf.add(tf.sqrt(tf.div(v, c2)), this.eps);
        const adam = tf.div(tf.div(m, c1), denom);
        const decayed = decays(p) && this.weightDecay > 0 ? tf.mul(p, 1 - lr * this.weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(adam, lr)));
      }
    });
    this.stepCount = t;
  }

  /** Copies the state out (for a checkpoint). */
  async exportState(): Promise<AdamWState> {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const name of this.params.keys()) {
      m.set(name, (await this.m.get(name)!.data()) as Float32Array);
      v.set(name, (await this.v.get(name)!.data()) as Float32Array);
    }
    const { beta1, beta2, eps, weightDecay } = this;
    return { step: this.stepCount, beta1, beta2, eps, weightDecay, m, v };
  }

  /** Restores state saved by {@link exportState}; throws naming the parameter on a mismatch. */
  importState(state: AdamWState): void {
    for (const [name, p] of this.params) {
      for (const [kind, src, dst] of [['m', state.m, this.m], ['v', state.v, this.v]] as const) {
        const data = src.get(name);
        if (data === undefined || data.length !== p.size) {
          throw new Error(`optimizer state: ${kind}/${name}: missing or wrong size (expected ${p.size})`);
        }
        tf.tidy(() => dst.get(name)!.assign(tf.tensor(data, p.shape, 'float32')));
      }
    }
    this.stepCount = state.step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/**
 * Scales `grads` so their global L2 norm is at most `maxNorm` (no-op when already below, or when
 * maxNorm ≤ 0). Returns new tensors plus the pre-clip norm as a scalar; the caller disposes them.
 */
export function clipByGlobalNorm(
  grads: Readonly<Record<string, tf.Tensor>>,
  maxNorm: number,
): { grads: Record<string, tf.Tensor>; norm: tf.Scalar } {
  return tf.tidy(() => {
    const names = Object.keys(grads);
    const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!))))) as tf.Scalar;
    const scale = maxNorm > 0 ? tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6))) : tf.scalar(1);
    const out: Record<string, tf.Tensor> = {};
    for (const n of names) out[n] = tf.mul(grads[n]!, scale);
    return { grads: out, norm };
  });
}

/** Learning-rate schedule parameters. */
export interface LrSchedule {
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  /** The final learning rate as a fraction of `lr`. */
  minLrRatio: number;
}

/**
 * The linear schedule with warmup (transformers' `get_linear_schedule_with_warmup`, open-instruct's default
 * `lr_scheduler_type`): update number `step` (1-based) uses the scheduler's value after `step - 1` steps,
 * lr·(step-1)/warmupSteps during warmup, then decaying linearly to 0 at `totalSteps`.
 */
export function linearLrAt(step: number, s: Omit<LrSchedule, 'minLrRatio'>): number {
  const done = step - 1;
  if (done < s.warmupSteps) return (s.lr * done) / Math.max(1, s.warmupSteps);
  return s.lr * Math.max(0, (s.totalSteps - done) / Math.max(1, s.totalSteps - s.warmupSteps));
}

/**
 * Learning rate for update number `step` (1-based, 1..totalSteps): linear warmup lr·step/warmupSteps
 * reaching `lr` at step = warmupSteps, then cosine decay to minLrRatio·lr at step = totalSteps.
 */
export function lrAt(step: number, s: LrSchedule): number {
  const minLr = s.lr * s.minLrRatio;
  if (step <= s.warmupSteps) return (s.lr * step) / Math.max(1, s.warmupSteps);
  const span = s.totalSteps - s.warmupSteps;
  if (span <= 0) return minLr;
  const progress = Math.min(1, (step - s.warmupSteps) / span);
  return minLr + (s.lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
