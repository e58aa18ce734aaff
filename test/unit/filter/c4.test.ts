import { describe, expect, it } from 'vitest';
import { createRule, type RuleResult } from '../../../activities/filter/rules/index.ts';

const c4 = (text: string, options?: Record<string, unknown>): RuleResult => createRule('c4', options).check({ id: 'd', text });

const FIVE = 'The first sentence is here. The second one follows it. A third comes next. Then a fourth. Finally a fifth.';

describe('c4', () => {
  it('needs five sentences among the kept lines (spaCy sentencizer)', () => {
    expect(c4(FIVE)).toEqual({ keep: true });
    expect(c4(FIVE.replace(' Finally a fifth.', ''))).toEqual({ keep: false, reason: 'too_few_sentences' });
  });

  it('drops lines without terminal punctuation, with few words, ending in an ellipsis, or about javascript and policies', () => {
    const text = [
      'Navigation menu',
      FIVE,
      'Too short.',
      'And so it went on and on...',
      'Please enable JavaScript to view this page.',
      'Read our privacy policy before you continue.',
      'She said "hello there."',
    ].join('\n');
    expect(c4(text)).toEqual({ keep: true, text: `${FIVE}\nShe said "hello there."` });
  });

  it('removes wikipedia citations before looking at the line end', () => {
    const r = c4(`${FIVE}[1]\nThe river floods every spring.[citation needed]`);
    expect(r).toEqual({ keep: true, text: `${FIVE}\nThe river floods every spring.` });
  });

  it('drops a line holding a word longer than 1000 characters', () => {
    const r = c4(`${FIVE}\nA line with ${'x'.repeat(1001)} in it.`);
    expect(r).toEqual({ keep: true, text: FIVE });
  });

  it('rejects the document for lorem ipsum or a curly bracket only on lines that survive the line filters', () => {
    expect(c4(`${FIVE}\nlorem ipsum`)).toEqual({ keep: true, text: FIVE });
    expect(c4(`${FIVE}\nLorem ipsum dolor sit amet.`)).toEqual({ keep: false, reason: 'lorem_ipsum' });
    expect(c4(`${FIVE}\nfunction f() {`)).toEqual({ keep: true, text: FIVE });
    expect(c4(`${FIVE}\nThe set {a, b} is small.`)).toEqual({ keep: false, reason: 'curly_bracket' });
  });

  it('works on sentences instead of lines with splitParagraph: false', () => {
    const text = `${FIVE} And a sixth without a period`;
    expect(c4(text, { splitParagraph: false })).toEqual({ keep: true, text: FIVE });
  });

  it('takes option overrides', () => {
    expect(c4('Just one line here.', { minNumSentences: 1 })).toEqual({ keep: true });
    expect(c4(`${FIVE}\nno punctuation at the end`, { filterNoTerminalPunct: false })).toEqual({ keep: true });
    expect(c4(`${FIVE}\nThe set {a, b} is small.`, { filterCurlyBracket: false })).toEqual({ keep: true });
  });
});
