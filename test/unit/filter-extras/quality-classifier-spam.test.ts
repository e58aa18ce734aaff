import { describe, expect, it } from 'vitest';
import { scoreDoc, trainQualityClassifier } from '../../../activities/filter/quality-classifier.ts';
import { loadSpamAssassin } from '../../../datasets/builtin/spam-assassin.ts';

/** Area under the ROC curve: the probability that a random positive outscores a random negative (ties count half). */
function auc(positives: number[], negatives: number[]): number {
  const all = [...positives.map((s) => ({ s, p: 1 })), ...negatives.map((s) => ({ s, p: 0 }))].sort((a, b) => a.s - b.s);
  // Mann–Whitney U from average ranks.
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.p === 1) rankSum += avgRank;
    i = j;
  }
  return (rankSum - (positives.length * (positives.length + 1)) / 2) / (positives.length * negatives.length);
}

describe('quality classifier on SpamAssassin (ham = high quality, spam = low)', () => {
  it('auc() is the Mann–Whitney statistic', () => {
    expect(auc([3, 4], [1, 2])).toBe(1);
    expect(auc([1, 2], [3, 4])).toBe(0);
    expect(auc([1, 3], [2, 2])).toBe(0.5);
  });

  it('trained on a quarter of the corpus, separates another quarter of every group with AUC > 0.9', () => {
    const docs = loadSpamAssassin();
    expect(docs).toHaveLength(6046);
    // Every 4th message is held out (the model never sees it); another quarter trains, which keeps the test fast.
    const heldOut = docs.filter((_, i) => i % 4 === 0);
    const train = docs.filter((_, i) => i % 4 === 1);
    const high = train.filter((d) => d.meta?.quality === 'high');
    const low = train.filter((d) => d.meta?.quality === 'low');
    const model = trainQualityClassifier(high, low, { seed: 7 });
    const hamScores = heldOut.filter((d) => d.domain === 'ham').map((d) => scoreDoc(model, d.text));
    const spamScores = heldOut.filter((d) => d.domain === 'spam').map((d) => scoreDoc(model, d.text));
    const a = auc(hamScores, spamScores);
    const accuracy = (hamScores.filter((s) => s >= 0.5).length + spamScores.filter((s) => s < 0.5).length) / heldOut.length;
    console.log(`SpamAssassin held-out: ${hamScores.length} ham, ${spamScores.length} spam, AUC ${a.toFixed(4)}, accuracy at 0.5 ${accuracy.toFixed(4)}`);
    expect(a).toBeGreaterThan(0.9);
    expect(accuracy).toBeGreaterThan(0.85);
  });
});
