import { describe, expect, it } from 'vitest';
import { fromJSON, scoreDoc, selectByQuality, toJSON, trainQualityClassifier } from '../../../activities/filter/quality-classifier.ts';
import { loadBrown } from '../../../datasets/builtin/brown.ts';

/** Low-quality stand-ins: the same words in a scrambled order, with shouting and link spam mixed in. */
function degrade(text: string, seed: number): string {
  const words = text.split(/\s+/).slice(0, 400);
  let s = seed;
  for (let i = words.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [words[i], words[j]] = [words[j]!, words[i]!];
  }
  return words.map((w, i) => (i % 7 === 0 ? `${w.toUpperCase()}!!! click http://example.com/$$$` : w)).join(' ');
}

const brown = loadBrown({ limit: 120 });
const high = brown.slice(0, 80).map((d) => ({ text: d.text.split(/\s+/).slice(0, 400).join(' ') }));
const low = brown.slice(0, 80).map((d, i) => ({ text: degrade(d.text, i + 1) }));
const heldHigh = brown.slice(80).map((d) => ({ id: d.id, text: d.text.split(/\s+/).slice(0, 400).join(' ') }));
const heldLow = brown.slice(80).map((d, i) => ({ id: `${d.id}-degraded`, text: degrade(d.text, 1000 + i) }));

describe('trainQualityClassifier / scoreDoc', () => {
  const model = trainQualityClassifier(high, low, { seed: 3, dims: 2 ** 16 });

  it('scores held-out clean text above its degraded version', () => {
    const pairs = heldHigh.map((h, i) => scoreDoc(model, h.text) > scoreDoc(model, heldLow[i]!.text));
    expect(pairs.every(Boolean)).toBe(true);
    for (const d of heldHigh) expect(scoreDoc(model, d.text)).toBeGreaterThan(0.5);
    for (const d of heldLow) expect(scoreDoc(model, d.text)).toBeLessThan(0.5);
  });

  it('is deterministic given the seed, and the seed matters', () => {
    const again = trainQualityClassifier(high, low, { seed: 3, dims: 2 ** 16 });
    expect(again.bias).toBe(model.bias);
    expect(Buffer.from(again.weights.buffer).equals(Buffer.from(model.weights.buffer))).toBe(true);
    const other = trainQualityClassifier(high, low, { seed: 4, dims: 2 ** 16 });
    expect(Buffer.from(other.weights.buffer).equals(Buffer.from(model.weights.buffer))).toBe(false);
  });

  it('round-trips through JSON text exactly', () => {
    const json = JSON.stringify(toJSON(model));
    const restored = fromJSON(JSON.parse(json));
    for (const d of [...heldHigh, ...heldLow]) expect(scoreDoc(restored, d.text)).toBe(scoreDoc(model, d.text));
    expect(toJSON(model).indices.length).toBeLessThan(model.dims);
  });

  it('rejects malformed models and options, naming the field', () => {
    const good = toJSON(model);
    expect(() => fromJSON({ ...good, dims: 1000 })).toThrow(/power of two/);
    expect(() => fromJSON({ ...good, values: good.values.slice(1) })).toThrow(/same length/);
    expect(() => fromJSON({ ...good, format: 'other' })).toThrow(/format/);
    expect(() => trainQualityClassifier(high, [])).toThrow(/both labels/);
    expect(() => trainQualityClassifier(high, low, { dims: 3000 })).toThrow(/dims must be a power of two/);
  });
});

describe('selectByQuality', () => {
  const model = trainQualityClassifier(high, low, { seed: 3, dims: 2 ** 16 });
  const docs = heldHigh.flatMap((h, i) => [h, heldLow[i]!]);

  it('keeps documents at or above the threshold (0.5 by default) and labels the rest low_quality', () => {
    const { kept, rejected, scores } = selectByQuality(docs, model);
    expect(scores).toHaveLength(docs.length);
    expect(kept.map((d) => d.id)).toEqual(heldHigh.map((d) => d.id));
    expect(rejected.map((d) => d.id)).toEqual(heldLow.map((d) => d.id));
    expect(rejected[0]!.meta).toEqual({ rejectedBy: 'quality-classifier', rejectionReason: 'low_quality', qualityScore: scores[1] });
  });

  it('keeps the top fraction by score, and with a threshold requires both', () => {
    const { kept, scores } = selectByQuality(docs, model, { keepTopFraction: 0.25 });
    expect(kept).toHaveLength(Math.ceil(0.25 * docs.length));
    const cut = Math.min(...kept.map((d) => scores[docs.indexOf(d)]!));
    expect(scores.filter((s) => s > cut)).toHaveLength(kept.length - 1);
    const none = selectByQuality(docs, model, { keepTopFraction: 0.5, threshold: 1 });
    expect(none.kept).toHaveLength(0);
    expect(() => selectByQuality(docs, model, { keepTopFraction: 2 })).toThrow(/keepTopFraction must be in \[0, 1\]/);
  });
});
