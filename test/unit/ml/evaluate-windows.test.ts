import { describe, expect, it } from 'vitest';
import { documentWindows } from '../../../ml/trainer/evaluate.ts';

describe('documentWindows', () => {
  for (const length of [2, 5, 9, 10, 17, 40, 101]) {
    it(`scores each of the ${length - 1} predictions of a ${length}-token document exactly once`, () => {
      const seq = Array.from({ length }, (_, i) => i + 1000);
      const context = 8;
      const scored = new Map<number, number>();
      for (const w of documentWindows(seq, context, -1)) {
        for (let t = 0; t < context; t++) {
          if (w.weights[t] === 0) continue;
          // Target seq[j] must be predicted from seq[j-1] at the same position.
          const j = w.targets[t]! - 1000;
          expect(w.inputs[t]).toBe(seq[j - 1]);
          // Every input up to this position is the true prefix (no padding inside the context).
          for (let u = 0; u <= t; u++) expect(w.inputs[u]).toBe(seq[j - 1 - (t - u)]);
          scored.set(j, (scored.get(j) ?? 0) + 1);
        }
      }
      expect([...scored.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: length - 1 }, (_, i) => i + 1));
      expect([...scored.values()].every((n) => n === 1)).toBe(true);
    });
  }

  it('costs one forward position per prediction: disjoint windows, the last one ending at the document end', () => {
    const context = 8;
    for (const length of [2, 9, 10, 17, 40, 101]) {
      const seq = Array.from({ length }, (_, i) => i);
      const windows = documentWindows(seq, context, -1);
      expect(windows).toHaveLength(Math.ceil((length - 1) / context));
      // Every window but a short document's only one is full, and the last ends at the last target.
      const last = windows.at(-1)!;
      if (length - 1 >= context) expect(last.targets[context - 1]).toBe(length - 1);
      // A window's first scored target has as context everything in the window before it.
      for (const w of windows.slice(0, -1)) expect(Array.from(w.weights).every((x) => x === 1)).toBe(true);
    }
  });
});
