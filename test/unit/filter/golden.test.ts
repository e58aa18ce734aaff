import { describe, expect, it } from 'vitest';
import { createRule, type RuleName } from '../../../activities/filter/rules/index.ts';
import { GOLDEN, GOOD } from './golden.ts';

const RULES: RuleName[] = ['gopher-quality', 'gopher-repetition', 'c4', 'fineweb'];

describe('golden documents (expectations confirmed against datatrove 0.10.1)', () => {
  for (const rule of RULES) {
    describe(rule, () => {
      for (const g of GOLDEN.filter((c) => c.rule === rule)) {
        const label = `${g.reason ?? 'keeps'}${g.options ? ` with ${JSON.stringify(g.options)}` : ''}: ${JSON.stringify(g.text.slice(0, 50))}`;
        it(label, () => {
          const r = createRule(rule, g.options).check({ id: 'golden', text: g.text });
          expect(r.keep ? null : r.reason).toBe(g.reason);
        });
      }
    });
  }

  it('covers every rejection reason of the four rules', () => {
    const reasons = new Set(GOLDEN.map((g) => `${g.rule}:${g.reason}`));
    const expected = [
      ...['short_doc', 'below_avg_threshold', 'above_avg_threshold', 'too_many_hashes', 'too_many_ellipsis', 'too_many_bullets', 'too_many_end_ellipsis', 'below_alpha_threshold', 'enough_stop_words'].map((r) => `gopher-quality:gopher_${r}`),
      ...['empty', 'dup_para_frac', 'dup_para_char_frac', 'dup_line_frac', 'dup_line_char_frac', 'top_2_gram', 'top_3_gram', 'top_4_gram'].map((r) => `gopher-repetition:${r}`),
      ...[5, 6, 7, 8, 9, 10].map((n) => `gopher-repetition:duplicated_${n}_n_grams`),
      ...['lorem_ipsum', 'curly_bracket', 'too_few_sentences'].map((r) => `c4:${r}`),
      ...['empty', 'line_punct_ratio', 'short_line_ratio', 'char_dup_ratio', 'list_ratio'].map((r) => `fineweb:${r}`),
    ];
    expect(expected.filter((r) => !reasons.has(r))).toEqual([]);
  });

  it('keeps the clean English paragraph under every rule', () => {
    for (const rule of RULES) expect(createRule(rule).check({ id: 'good', text: GOOD }).keep).toBe(true);
  });
});
