import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { createRule, ruleOptionSchemas } from '../../../activities/filter/rules/index.ts';

/** The ZodError `fn` throws. */
function zodErrorOf(fn: () => unknown): ZodError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ZodError) return e;
    throw e;
  }
  throw new Error('expected a ZodError');
}

describe('rule options', () => {
  it("default to datatrove's constructor defaults", () => {
    expect(ruleOptionSchemas['gopher-quality'].parse({})).toEqual({
      minDocWords: 50,
      maxDocWords: 100_000,
      minAvgWordLength: 3,
      maxAvgWordLength: 10,
      maxSymbolWordRatio: 0.1,
      maxBulletLinesRatio: 0.9,
      maxEllipsisLinesRatio: 0.3,
      maxNonAlphaWordsRatio: 0.8,
      minStopWords: 2,
      stopWords: ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'],
    });
    expect(ruleOptionSchemas['gopher-repetition'].parse({})).toEqual({
      dupLineFrac: 0.3,
      dupParaFrac: 0.3,
      dupLineCharFrac: 0.2,
      dupParaCharFrac: 0.2,
      topNGrams: [[2, 0.2], [3, 0.18], [4, 0.16]],
      dupNGrams: [[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.1]],
    });
    expect(ruleOptionSchemas.c4.parse({})).toEqual({
      splitParagraph: true,
      removeCitations: true,
      filterNoTerminalPunct: true,
      minNumSentences: 5,
      minWordsPerLine: 3,
      maxWordLength: 1000,
      filterLoremIpsum: true,
      filterJavascript: true,
      filterCurlyBracket: true,
      filterPolicy: true,
    });
    expect(ruleOptionSchemas.fineweb.parse({})).toEqual({
      lineEndPunctThr: 0.12,
      lineEndPunctExclZero: false,
      stopChars: null,
      shortLineThr: 0.67,
      shortLineLength: 30,
      charDuplicatesRatio: 0.01,
      newLineRatio: 0.3,
    });
  });

  it('keep the defaults of the fields an override leaves out', () => {
    const o = ruleOptionSchemas['gopher-quality'].parse({ minDocWords: 10 });
    expect(o.minDocWords).toBe(10);
    expect(o.maxDocWords).toBe(100_000);
  });

  it('reject a value of the wrong type with an error naming the field', () => {
    const err = zodErrorOf(() => createRule('gopher-quality', { minDocWords: 'many' }));
    expect(err.issues[0]!.path).toEqual(['minDocWords']);
    expect(err.message).toContain('minDocWords');
    expect(zodErrorOf(() => createRule('c4', { minNumSentences: -2 })).issues[0]!.path).toEqual(['minNumSentences']);
    expect(zodErrorOf(() => createRule('gopher-repetition', { topNGrams: [[2, 'a']] })).issues[0]!.path).toEqual(['topNGrams', 0, 1]);
  });

  it('reject unknown fields by name', () => {
    const err = zodErrorOf(() => createRule('fineweb', { linePunctThreshold: 0.1 }));
    expect(err.issues[0]!.code).toBe('unrecognized_keys');
    expect(err.message).toContain('linePunctThreshold');
  });

  it('name the rule when it does not exist', () => {
    expect(() => createRule('nope' as 'c4')).toThrow(/unknown filter rule 'nope'/);
  });
});
