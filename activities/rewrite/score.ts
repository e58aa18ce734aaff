/**
 * The rewrite stage's default quality score, used until a learned quality classifier is wired in
 * (`createRewrite(deps, { scorer })` takes any {@link Scorer}): the fraction of the filter stage's
 * datatrove rules — Gopher quality, Gopher repetition, C4, FineWeb, each with its default
 * thresholds — that keep the text. It lies in [0, 1], in steps of 1/4, so `threshold: 0.5` means
 * "passes more than half of the rules".
 */
import { createRule, type FilterRule } from '../filter/rules/index.ts';
import type { Scorer } from './rewrite.ts';

/** The rules the default score counts. */
export const SCORE_RULES = ['gopher-quality', 'gopher-repetition', 'c4', 'fineweb'] as const;

/** A scorer giving the fraction of {@link SCORE_RULES} that keep a text. */
export function ruleFractionScorer(): Scorer {
  const rules: FilterRule[] = SCORE_RULES.map((name) => createRule(name));
  return (text) => {
    const doc = { id: 'score', text };
    return rules.filter((r) => r.check(doc).keep).length / rules.length;
  };
}
