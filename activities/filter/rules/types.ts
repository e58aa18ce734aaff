/** The contract between the filter stage and its quality rules. */

/** A document as the rules see it. */
export interface Doc {
  id: string;
  text: string;
  domain?: string;
  meta?: Record<string, unknown>;
}

/**
 * A rule's verdict on one document. A rejection names its reason with datatrove's string (e.g.
 * `gopher_short_doc`). A kept document may come back rewritten: `text`, when present, is the document's new
 * text (C4 drops the lines it does not like and keeps the rest); absent means the text is unchanged.
 */
export type RuleResult = { keep: true; text?: string } | { keep: false; reason: string };

/** A quality rule: a pure function of one document. */
export interface FilterRule {
  /** The name recipes use (`gopher-quality`, ...), recorded as the rule that rejected a document. */
  readonly name: string;
  check(doc: Doc): RuleResult;
}
