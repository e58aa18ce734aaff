import { describe, expect, it } from 'vitest';
import { aioliLastA, createMixturePolicy, type MixturePolicy, type MixtureSpec } from '../../../ml/mixing/index.ts';

const domains = [
  { name: 'b', tokens: 100 },
  { name: 'a', tokens: 300 },
];

function expectDistribution(w: Record<string, number>, names = ['a', 'b']): void {
  expect(Object.keys(w).sort()).toEqual(names);
  for (const v of Object.values(w)) {
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThanOrEqual(0);
  }
  expect(Object.values(w).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
}

/** Two-entry softmax weight of the first entry: e^x / (e^x + e^y). */
const softmax2 = (x: number, y: number): number => Math.exp(x) / (Math.exp(x) + Math.exp(y));

describe('fixed policies', () => {
  it('static: proportional to tokens by default, else the given weights normalized', () => {
    expect(createMixturePolicy({ method: 'static' }, domains).weights()).toEqual({ a: 0.75, b: 0.25 });
    expect(createMixturePolicy({ method: 'static', weights: { a: 2, b: 6 } }, domains).weights()).toEqual({ a: 0.25, b: 0.75 });
    expect(createMixturePolicy({ method: 'static', weights: { a: 1 } }, domains).weights()).toEqual({ a: 1, b: 0 });
  });

  it('temperature: p ∝ n^(1/T); stratified: uniform', () => {
    const t2 = createMixturePolicy({ method: 'temperature', temperature: 2 }, domains).weights();
    expect(t2['a']).toBeCloseTo(Math.sqrt(300) / (Math.sqrt(300) + Math.sqrt(100)), 12);
    expect(createMixturePolicy({ method: 'temperature', temperature: 1 }, domains).weights()['a']).toBeCloseTo(0.75, 12);
    expect(createMixturePolicy({ method: 'stratified' }, domains).weights()).toEqual({ a: 0.5, b: 0.5 });
  });

  it('names the field of bad input', () => {
    expect(() => createMixturePolicy({ method: 'static', weights: { code: 1 } }, domains, { where: 'job.mixture' })).toThrow(
      'job.mixture.weights.code: no such domain in the training data (domains: a, b)',
    );
    expect(() => createMixturePolicy({ method: 'static', weights: { a: 0, b: 0 } }, domains)).toThrow('mixture.weights: weights must have a positive');
    expect(() => createMixturePolicy({ method: 'doremi', eta: 1, smoothing: 2, updateEvery: 5 }, domains)).toThrow('mixture.smoothing: expected a number in [0, 1]');
    expect(() => createMixturePolicy({ method: 'skill-it', eta: 1, window: 0, updateEvery: 5 }, domains)).toThrow('mixture.window: expected an integer >= 1');
    expect(() => createMixturePolicy({ method: 'skill-it', eta: 1, updateEvery: 5, graph: { x: { a: 1 } } }, domains)).toThrow('mixture.graph.x');
    expect(() => createMixturePolicy({ method: 'stratified' }, [{ name: 'a', tokens: 0 }])).toThrow("domain 'a' has no tokens");
  });
});

describe('DoReMi', () => {
  it('takes an exponentiated-gradient step on the per-token excess loss, then smooths with uniform', () => {
    const p = createMixturePolicy({ method: 'doremi', eta: 1, smoothing: 0.1, updateEvery: 5 }, domains);
    expect(p.needsReference).toBe(true);
    expect(p.weights()).toEqual({ a: 0.5, b: 0.5 });
    // The third argument is each domain's mean of max(ℓθ − ℓref, 0) over its tokens; the mean losses are not used.
    p.update(5, { a: 9, b: 9 }, { a: 1, b: 0 });
    const a1 = 0.9 * softmax2(1, 0) + 0.05;
    expect(p.weights()['a']).toBeCloseTo(a1, 12);
    expect(p.weights()['b']).toBeCloseTo(1 - a1, 12);
    // Multiplicative: the next step starts from the smoothed α.
    p.update(10, {}, { a: 0.5, b: 0 });
    const a2raw = (a1 * Math.exp(0.5)) / (a1 * Math.exp(0.5) + (1 - a1));
    expect(p.weights()['a']).toBeCloseTo(0.9 * a2raw + 0.05, 12);
    expect(() => p.update(15, { a: 1, b: 1 })).toThrow('doremi: an update without per-token excess losses');
  });

  it('outputs the time average of α over its initial value and every update, as the reference’s avg_domain_weights', () => {
    const p = createMixturePolicy({ method: 'doremi', eta: 1, smoothing: 0, updateEvery: 1 }, domains);
    p.update(1, {}, { a: 1, b: 0 });
    const a1 = softmax2(1, 0);
    p.update(2, {}, { a: 0, b: 0 });
    expect(p.weights()['a']).toBeCloseTo(a1, 12);
    expect(p.finalWeights!()['a']).toBeCloseTo((0.5 + a1 + a1) / 3, 12);
  });

  it('a domain absent from an update keeps its last score; one never seen scores ln V', () => {
    const p = createMixturePolicy({ method: 'doremi', eta: 1, smoothing: 0, updateEvery: 5 }, domains, { vocabSize: 100 });
    p.update(5, {}, { a: 2 }); // b never seen: ln 100
    expect(p.weights()['a']).toBeCloseTo(softmax2(2, Math.log(100)), 12);
    const a1 = p.weights()['a']!;
    p.update(10, {}, { b: 0 }); // a keeps 2
    expect(p.weights()['a']).toBeCloseTo((a1 * Math.exp(2)) / (a1 * Math.exp(2) + (1 - a1)), 12);
  });
});

describe('Skill-It', () => {
  it('with no graph (A = I): p ∝ exp(η · Σ of the last 3 loss vectors), from the uniform prior each round', () => {
    const p = createMixturePolicy({ method: 'skill-it', eta: 0.5, updateEvery: 5 }, domains);
    expect(p.weights()).toEqual({ a: 0.5, b: 0.5 });
    p.update(5, { a: 2, b: 1 });
    expect(p.weights()['a']).toBeCloseTo(softmax2(1, 0.5), 12);
    p.update(10, { a: 1, b: 3 });
    expect(p.weights()['a']).toBeCloseTo(softmax2(0.5 * 3, 0.5 * 4), 12);
    p.update(15, { a: 4, b: 1 });
    p.update(20, { a: 1, b: 1 }); // the window now holds rounds 2–4: (1, 3), (4, 1), (1, 1)
    expect(p.weights()['a']).toBeCloseTo(softmax2(0.5 * 6, 0.5 * 5), 12);
  });

  it('with a graph, domain i gains by the losses of the domains it helps: p ∝ exp(η·AΣℓ); off-diagonal 1s count 0.5', () => {
    // A = [[1, 0.5], [0, 1]] (the off-diagonal 1 becomes 0.5, as the reference reads 0/1 graphs).
    const p = createMixturePolicy({ method: 'skill-it', eta: 0.3, updateEvery: 5, graph: { a: { a: 1, b: 1 }, b: { b: 1 } } }, domains);
    expect(p.weights()['a']).toBeCloseTo(softmax2(0.3 * 1.5, 0.3), 12); // the first mixture: exp(η·A1)
    p.update(5, { a: 1, b: 2 }); // Aℓ = (2, 2)
    expect(p.weights()['a']).toBeCloseTo(0.5, 12);
    // Entries left out are 0, the diagonal included; a value other than 1 is taken as is: A = [[0, 2], [0, 0]].
    const q = createMixturePolicy({ method: 'skill-it', eta: 0.3, updateEvery: 5, graph: { a: { b: 2 } } }, domains);
    q.update(5, { a: 1, b: 2 });
    expect(q.weights()['a']).toBeCloseTo(softmax2(1.2, 0), 12);
  });

  it('takes the window it is given', () => {
    const p = createMixturePolicy({ method: 'skill-it', eta: 1, window: 1, updateEvery: 5 }, domains);
    p.update(5, { a: 5, b: 1 });
    p.update(10, { a: 1, b: 2 });
    expect(p.weights()['a']).toBeCloseTo(softmax2(1, 2), 12);
  });
});

/**
 * Drives a policy against a known linear mixing law: every step lowers the loss vector by
 * `Astar · samplingWeights(step)`; probes report the current loss.
 */
function simulateRounds(policy: MixturePolicy, Astar: number[][], steps: number, start = 0, loss0 = [5, 4]): number[] {
  const loss = [...loss0];
  for (let s = start; s < steps; s++) {
    const w = policy.samplingWeights(s);
    const wv = [w['a']!, w['b']!];
    for (let i = 0; i < 2; i++) loss[i]! -= Astar[i]![0]! * wv[0]! + Astar[i]![1]! * wv[1]!;
    const done = s + 1;
    if (policy.wantsProbe(done)) policy.observeProbe(done, { a: loss[0]!, b: loss[1]! });
    if (done % 10 === 0) policy.update(done, { a: loss[0]!, b: loss[1]! });
  }
  return loss;
}

describe('Aioli', () => {
  const Astar = [
    [0.1, 0.02],
    [0.03, 0.2],
  ];
  const base = { method: 'aioli', eta: 1, updateEvery: 10, lpRounds: 1, lpSteps: 2 } as const;

  it('perturbs the mixture one-hot in the last k·lpRounds·lpSteps steps of a round, and probes around each interval', () => {
    const p = createMixturePolicy({ ...base, normalizeA: false }, domains, { seed: 3 });
    for (let s = 0; s < 6; s++) expect(p.samplingWeights(s)).toEqual({ a: 0.5, b: 0.5 });
    const lp = [6, 7, 8, 9].map((s) => p.samplingWeights(s));
    expect(lp[0]).toEqual(lp[1]);
    expect(lp[2]).toEqual(lp[3]);
    expect([lp[0], lp[2]]).toContainEqual({ a: 1, b: 0 });
    expect([lp[0], lp[2]]).toContainEqual({ a: 0, b: 1 });
    expect(Array.from({ length: 21 }, (_, c) => c).filter((c) => p.wantsProbe(c))).toEqual([6, 8, 10, 16, 18, 20]);
  });

  it('recovers A from the loss drops (one-hot) and steps p ∝ p ⊙ exp(η·Σ_i A_ij)', () => {
    const p = createMixturePolicy({ ...base, normalizeA: false }, domains, { seed: 3 });
    simulateRounds(p, Astar, 10);
    // Two steps per interval, so A = 2·A*.
    const A = aioliLastA(p.state())!;
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(A[i]![j]).toBeCloseTo(2 * Astar[i]![j]!, 12);
    const g = [2 * (0.1 + 0.03), 2 * (0.02 + 0.2)];
    const a1 = softmax2(g[0]!, g[1]!);
    expect(p.weights()['a']).toBeCloseTo(a1, 12);
    simulateRounds(p, Astar, 20, 10);
    expect(p.weights()['a']).toBeCloseTo((a1 * Math.exp(g[0]!)) / (a1 * Math.exp(g[0]!) + (1 - a1) * Math.exp(g[1]!)), 12);
  });

  it('solves A through the perturbed-mixture matrix when oneHotFactor < 1, and normalizes A by default', () => {
    const p = createMixturePolicy({ ...base, oneHotFactor: 0.75 }, domains, { seed: 9 });
    expect(p.samplingWeights(6)).toSatisfy((w: Record<string, number>) => w['a'] === 0.75 || w['b'] === 0.75);
    simulateRounds(p, Astar, 10);
    const A = aioliLastA(p.state())!;
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(A[i]![j]).toBeCloseTo(2 * Astar[i]![j]!, 10);
    // Normalized: all entries ≥ 0 already, so A / ΣA; column sums (0.13, 0.22) / 0.35.
    expect(p.weights()['a']).toBeCloseTo(softmax2(0.13 / 0.35, 0.22 / 0.35), 10);
  });

  it('with ema, p ∝ exp(η·Σ_i Ā_ij) from uniform, Ā ← (1 − ema)·A + ema·Ā', () => {
    const p = createMixturePolicy({ ...base, normalizeA: false, ema: 0.5 }, domains, { seed: 1 });
    simulateRounds(p, Astar, 10);
    const g1 = [0.26, 0.44];
    expect(p.weights()['a']).toBeCloseTo(softmax2(g1[0]!, g1[1]!), 12);
    // A different law in round 2: Ā = 0.5·A2 + 0.5·A1, and p restarts from uniform.
    const A2 = [
      [0.3, 0],
      [0, 0.1],
    ];
    simulateRounds(p, A2, 20, 10);
    const g2 = [0.5 * 0.6 + 0.5 * g1[0]!, 0.5 * 0.2 + 0.5 * g1[1]!];
    expect(p.weights()['a']).toBeCloseTo(softmax2(g2[0]!, g2[1]!), 12);
  });

  it('rejects rounds too short to train on the learned mixture, and an ambiguous perturbation', () => {
    expect(() => createMixturePolicy({ ...base, updateEvery: 4 }, domains)).toThrow('mixture.updateEvery: 4 must exceed domains × lpRounds × lpSteps = 2 × 1 × 2 = 4');
    expect(() => createMixturePolicy({ ...base, oneHotFactor: 0.5 }, domains)).toThrow('mixture.oneHotFactor: must be in (1/k, 1]');
  });
});

describe('every policy', () => {
  const specs: MixtureSpec[] = [
    { method: 'static' },
    { method: 'temperature', temperature: 0.5 },
    { method: 'stratified' },
    { method: 'doremi', eta: 50, updateEvery: 10 },
    { method: 'doremi', eta: 1, smoothing: 0, updateEvery: 10 },
    { method: 'skill-it', eta: 2, window: 2, updateEvery: 10 },
    { method: 'skill-it', eta: 200, updateEvery: 10, graph: { a: { b: 0.5 }, c: { a: -1 } } },
    { method: 'aioli', eta: 1e3, updateEvery: 10, lpSteps: 1, oneHotFactor: 0.6, normalizeA: false },
    { method: 'aioli', eta: 2, updateEvery: 10, lpSteps: 1, ema: 0.3 },
  ];
  const three = [
    { name: 'a', tokens: 10 },
    { name: 'b', tokens: 1000 },
    { name: 'c', tokens: 50_000 },
  ];
  /** A deterministic, bumpy loss stream with huge swings to stress the updates. */
  const lossAt = (step: number, d: number): number => 3 + Math.sin(step * 0.7 + d * 2) * (d === 2 ? 40 : 2);

  function drive(p: MixturePolicy, from: number, to: number): Array<Record<string, number>> {
    const seen: Array<Record<string, number>> = [];
    for (let s = from; s < to; s++) {
      seen.push(p.samplingWeights(s));
      const done = s + 1;
      const loss = { a: lossAt(done, 0), b: lossAt(done, 1), c: lossAt(done, 2) };
      if (p.wantsProbe(done)) p.observeProbe(done, loss);
      if (done % 10 === 0) {
        // Leave a domain out now and then, as the trainer does when it was not sampled.
        const { b, ...rest } = loss;
        const seen = done % 20 === 0 ? rest : { ...rest, b };
        // DoReMi reads the excess loss over its reference: here a clipped shift of the same stream.
        p.update(done, seen, Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, Math.max(v - 3, 0)])));
      }
      seen.push(p.weights());
    }
    return seen;
  }

  it.each(specs.map((s) => [s.method, s] as const))('%s keeps a distribution and resumes exactly from its JSON state', (_, spec) => {
    const p = createMixturePolicy(spec, three, { seed: 5 });
    for (const w of drive(p, 0, 37)) expectDistribution(w, ['a', 'b', 'c']);
    const saved = JSON.parse(JSON.stringify(p.state())) as unknown;
    const q = createMixturePolicy(spec, three, { seed: 5, state: saved });
    expect(q.weights()).toEqual(p.weights());
    expect(q.finalWeights?.()).toEqual(p.finalWeights?.());
    expect(drive(q, 37, 80)).toEqual(drive(p, 37, 80));
    expect(q.state()).toEqual(p.state());
  });

  it('refuses a checkpoint state of another method', () => {
    const state = createMixturePolicy({ method: 'stratified' }, three).state();
    expect(() => createMixturePolicy({ method: 'doremi', eta: 1, updateEvery: 5 }, three, { state, where: 'job.mixture' })).toThrow(
      "job.mixture.method: the checkpoint's mixture state is for 'stratified'",
    );
  });
});
