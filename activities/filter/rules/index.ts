/**
 * The filter stage's quality rules: faithful ports of HuggingFace datatrove 0.10's Gopher quality, Gopher
 * repetition, C4 and FineWeb filters (defaults, check order and rejection reasons included), plus exact dedup.
 */
import { c4Quality } from './c4.ts';
import { finewebQuality } from './fineweb.ts';
import { gopherQuality } from './gopher-quality.ts';
import { gopherRepetition } from './gopher-repetition.ts';
import { ruleOptionSchemas, type RuleName } from '../../../recipe/stages/filter-rules.ts';
import type { FilterRule } from './types.ts';

/**
 * Builds a rule by name. `options` is validated by the rule's schema (unknown keys are errors; missing ones
 * take datatrove's defaults); bad options throw the schema's ZodError, whose issues name the field.
 */
export function createRule(name: RuleName, options?: unknown): FilterRule {
  switch (name) {
    case 'gopher-quality':
      return gopherQuality(ruleOptionSchemas[name].parse(options ?? {}));
    case 'gopher-repetition':
      return gopherRepetition(ruleOptionSchemas[name].parse(options ?? {}));
    case 'c4':
      return c4Quality(ruleOptionSchemas[name].parse(options ?? {}));
    case 'fineweb':
      return finewebQuality(ruleOptionSchemas[name].parse(options ?? {}));
    default:
      throw new Error(`unknown filter rule '${String(name)}' (known: ${Object.keys(ruleOptionSchemas).join(', ')})`);
  }
}

export { ExactDedup, exactDedup, normalizeForDedup } from './exact-dedup.ts';
export { ruleOptionSchemas, type RuleName } from '../../../recipe/stages/filter-rules.ts';
export type { Doc, FilterRule, RuleResult } from './types.ts';
export { c4Quality, finewebQuality, gopherQuality, gopherRepetition };
export { wordTokenize } from './tokenizer/spacy-en.ts';
export { splitIntoSentences } from './tokenizer/sentencizer.ts';
