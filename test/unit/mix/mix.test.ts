import { describe, expect, it } from 'vitest';
import { StageInputError } from '../../../activities/errors.ts';
import { docTokens, mixDocs, mixtureWeights, sampleDomain } from '../../../activities/mix/mix.ts';
import type { Doc } from '../../../datasets/types.ts';
import { mulberry32 } from '../../../ml/random.ts';

/** `n` documents of `bytes` bytes each in `domain` (ASCII). */
function docs(domain: string | undefined, n: number, bytes: number): Doc[] {
  return Array.from({ length: n }, (_, i) => {
    const text = `${domain ?? 'x'}${i}`.padEnd(bytes, '.');
    return domain === undefined ? { id: `none-${i}`, text } : { id: `${domain}-${i}`, text, domain };
  });
}

function tokensOf(out: Doc[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const d of out) t[d.domain ?? 'unknown'] = (t[d.domain ?? 'unknown'] ?? 0) + Buffer.byteLength(d.text, 'utf8');
  return t;
}

describe('mixture weights', () => {
  it('static: normalises the given weights; unnamed domains get 0; no weights = natural proportions', () => {
    expect(mixtureWeights({ method: 'static', weights: { a: 3, b: 1 } }, { a: 40, b: 40, c: 10 })).toEqual({ a: 0.75, b: 0.25, c: 0 });
    expect(mixtureWeights({ method: 'static' }, { a: 30, b: 10, c: 0 })).toEqual({ a: 0.75, b: 0.25, c: 0 });
  });

  it('temperature: p_i ∝ n_i^(1/T)', () => {
    // T = 2: sqrt(100) = 10, sqrt(400) = 20 → 1/3, 2/3. T = 1: natural proportions.
    const t2 = mixtureWeights({ method: 'temperature', temperature: 2 }, { a: 100, b: 400 });
    expect(t2['a']).toBeCloseTo(1 / 3, 12);
    expect(t2['b']).toBeCloseTo(2 / 3, 12);
    expect(mixtureWeights({ method: 'temperature', temperature: 1 }, { a: 100, b: 400 })).toEqual({ a: 0.2, b: 0.8 });
    // T = 0.5 sharpens: 100², 400² → 1/17, 16/17.
    const sharp = mixtureWeights({ method: 'temperature', temperature: 0.5 }, { a: 100, b: 400 });
    expect(sharp['a']).toBeCloseTo(1 / 17, 12);
  });

  it('stratified: uniform over domains that have tokens', () => {
    expect(mixtureWeights({ method: 'stratified' }, { a: 100, b: 400, c: 0, d: 7 })).toEqual({ a: 1 / 3, b: 1 / 3, c: 0, d: 1 / 3 });
  });

  it('rejects bad settings with the field named', () => {
    const tokens = { a: 10, b: 0 };
    expect(() => mixtureWeights({ method: 'static', weights: { zz: 1 } }, tokens)).toThrow(/with\.weights\.zz: no input document has domain 'zz' \(domains: a, b\)/);
    expect(() => mixtureWeights({ method: 'static', weights: { b: 1 } }, tokens)).toThrow(/with\.weights\.b: domain 'b' has no tokens/);
    expect(() => mixtureWeights({ method: 'static', weights: { a: 0 } }, tokens)).toThrow(/sum to 0/);
    expect(() => mixtureWeights({ method: 'temperature', weights: { a: 1 } }, tokens)).toThrow(/only method 'static'/);
    expect(() => mixtureWeights({ method: 'temperature', temperature: 0 }, tokens)).toThrow(/with\.temperature/);
    expect(() => mixtureWeights({ method: 'static', weights: { zz: 1 } }, tokens)).toThrow(StageInputError);
  });
});

describe('sampling to a token budget', () => {
  it('static 3:1 over equal domains: upsamples a with whole passes, downsamples b, hits the targets exactly', () => {
    // a: 4 × 10 B = 40, b: 2 × 20 B = 40; budget 80 → targets 60 and 20.
    const input = [...docs('a', 4, 10), ...docs('b', 2, 20)];
    const out = mixDocs(input, { method: 'static', weights: { a: 3, b: 1 }, seed: 7 });
    expect(out.targetTokens).toBe(80);
    expect(out.targetTokensByDomain).toEqual({ a: 60, b: 20 });
    expect(out.tokensByDomain).toEqual({ a: 60, b: 20 });
    expect(out.inputTokensByDomain).toEqual({ a: 40, b: 40 });
    expect(tokensOf(out.docs)).toEqual(out.tokensByDomain);
    const a = out.docs.filter((d) => d.domain === 'a');
    // One full pass (all 4) plus 2 repeats.
    expect(new Set(a.map((d) => (d.meta?.['sourceId'] as string | undefined) ?? d.id)).size).toBe(4);
    const repeats = a.filter((d) => d.meta?.['repeat'] === 1);
    expect(repeats).toHaveLength(2);
    for (const r of repeats) expect(r.id).toBe(`${r.meta?.['sourceId'] as string}#1`);
    expect(new Set(out.docs.map((d) => d.id)).size).toBe(out.docs.length);
  });

  it('counts tokens as UTF-8 bytes, exactly, with a budget', () => {
    const input: Doc[] = [
      { id: 'e1', text: 'é'.repeat(10), domain: 'fr' }, // 20 bytes
      { id: 'e2', text: 'ü'.repeat(5), domain: 'fr' }, // 10 bytes
      { id: 'k1', text: '한국어', domain: 'ko' }, // 9 bytes
      { id: 'n1', text: 'plain' }, // 5 bytes, no domain
    ];
    expect(input.map(docTokens)).toEqual([20, 10, 9, 5]);
    const out = mixDocs(input, { method: 'stratified', tokens: 300, seed: 1 });
    expect(out.inputTokensByDomain).toEqual({ fr: 30, ko: 9, unknown: 5 });
    expect(out.weights).toEqual({ fr: 1 / 3, ko: 1 / 3, unknown: 1 / 3 });
    expect(tokensOf(out.docs)).toEqual(out.tokensByDomain);
    // Each domain lands within half a document of its target of 100 tokens.
    expect(Math.abs(out.tokensByDomain['fr']! - 100)).toBeLessThanOrEqual(10);
    expect(Math.abs(out.tokensByDomain['ko']! - 100)).toBeLessThanOrEqual(4.5);
    expect(Math.abs(out.tokensByDomain['unknown']! - 100)).toBeLessThanOrEqual(2.5);
  });

  it('temperature over unequal domains moves the mix towards uniform', () => {
    const input = [...docs('big', 40, 10), ...docs('small', 4, 10)]; // 400 vs 40 tokens
    const natural = mixDocs(input, { method: 'temperature', temperature: 1, seed: 3 });
    const flat = mixDocs(input, { method: 'temperature', temperature: 4, seed: 3 });
    const share = (o: typeof natural) => o.tokensByDomain['small']! / (o.tokensByDomain['small']! + o.tokensByDomain['big']!);
    expect(share(natural)).toBeCloseTo(40 / 440, 2);
    // 40^(1/4) / (40^(1/4) + 400^(1/4)) ≈ 0.360
    expect(share(flat)).toBeCloseTo(40 ** 0.25 / (40 ** 0.25 + 400 ** 0.25), 1);
    expect(flat.weights['small']).toBeCloseTo(40 ** 0.25 / (40 ** 0.25 + 400 ** 0.25), 12);
  });

  it('is deterministic given the seed, and the seed matters', () => {
    const input = [...docs('a', 30, 12), ...docs('b', 30, 8), ...docs('c', 5, 30)];
    const settings = { method: 'stratified' as const, tokens: 900 };
    const one = mixDocs(input, { ...settings, seed: 11 });
    expect(mixDocs(input, { ...settings, seed: 11 })).toEqual(one);
    const other = mixDocs(input, { ...settings, seed: 12 });
    expect(other.docs.map((d) => d.id)).not.toEqual(one.docs.map((d) => d.id));
    expect(other.weights).toEqual(one.weights);
  });

  it('sampleDomain walks whole passes before repeating a document twice', () => {
    const list = docs('a', 5, 10);
    const idx = sampleDomain(list, 125, mulberry32(5)); // 12.5 docs → 12 or 13
    expect(idx.length).toBeGreaterThanOrEqual(12);
    const firstPass = new Set(idx.slice(0, 5));
    const secondPass = new Set(idx.slice(5, 10));
    expect(firstPass.size).toBe(5);
    expect(secondPass.size).toBe(5);
    expect(sampleDomain(list, 0, mulberry32(5))).toEqual([]);
  });
});
