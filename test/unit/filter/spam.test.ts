import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRule, type RuleName } from '../../../activities/filter/rules/index.ts';
import { loadSpamAssassin } from '../../../datasets/builtin/spam-assassin.ts';

const RULES: RuleName[] = ['gopher-quality', 'gopher-repetition', 'c4', 'fineweb'];

/**
 * What datatrove 0.10.1 itself says of every `every`-th builtin:spam-assassin document (regenerate with
 * spam-datatrove.py): per document, the four rules' rejection reasons (null = kept), the digest of C4's rewritten
 * text when C4 keeps it, and the digest of the text datatrove was given.
 */
interface Reference {
  datatrove: string;
  every: number;
  columns: [...RuleName[], 'c4Sha256', 'textSha256'];
  docs: Record<string, [string | null, string | null, string | null, string | null, string | null, string]>;
}
const reference = JSON.parse(readFileSync(new URL('./spam-datatrove.json', import.meta.url), 'utf8')) as Reference;

/**
 * Every decision where Braise and datatrove differ, as `rule: id`, with the reason for each. Filled from running
 * the test; the test fails if a difference appears that is not listed here, or a listed one goes away.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {};

const sha16 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

interface SpamRun {
  ids: string[];
  sameText: number;
  agree: number;
  differences: Record<string, string>;
  c4Kept: number;
  c4TextAgree: number;
  counts: Record<RuleName, Record<string, number>>;
}
let run: SpamRun | undefined;

/** Runs the four rules over the reference's documents once (lazily, so it counts against the test's timeout). */
function spam(): SpamRun {
  if (run) return run;
  const docs = loadSpamAssassin().filter((_, i) => i % reference.every === 0);
  const rules = RULES.map((name) => createRule(name));
  const counts = Object.fromEntries(RULES.map((r) => [r, {}])) as SpamRun['counts'];
  const differences: Record<string, string> = {};
  let sameText = 0;
  let agree = 0;
  let c4Kept = 0;
  let c4TextAgree = 0;
  for (const doc of docs) {
    const ref = reference.docs[doc.id];
    if (!ref) continue;
    if (sha16(doc.text) === ref[5]) sameText++;
    rules.forEach((rule, k) => {
      const r = rule.check(doc);
      const ours = r.keep ? null : r.reason;
      counts[RULES[k]!][ours ?? 'kept'] = (counts[RULES[k]!][ours ?? 'kept'] ?? 0) + 1;
      if (ours === ref[k]) agree++;
      else differences[`${RULES[k]}: ${doc.id}`] = `braise ${ours ?? 'keeps'}, datatrove ${ref[k] ?? 'keeps'}`;
      if (RULES[k] === 'c4' && r.keep && ref[2] === null) {
        c4Kept++;
        if (sha16(r.text ?? doc.text) === ref[4]) c4TextAgree++;
      }
    });
  }
  console.log(`SpamAssassin (every ${reference.every}th document: ${docs.length}), decisions per rule: ${JSON.stringify(counts)}\ndifferences: ${JSON.stringify(differences, null, 1)}`);
  return (run = { ids: docs.map((d) => d.id), sameText, agree, differences, c4Kept, c4TextAgree, counts });
}

describe(`the four rules over SpamAssassin mail, against datatrove ${reference.datatrove}`, () => {
  it('judges the very documents datatrove judged', () => {
    const { ids, sameText } = spam();
    expect(ids).toEqual(Object.keys(reference.docs));
    expect(sameText).toBe(ids.length);
  });

  it('agrees on at least 99% of keep/reject decisions and reasons, and on C4 rewrites', () => {
    const { ids, agree, c4Kept, c4TextAgree } = spam();
    expect(agree / (ids.length * RULES.length)).toBeGreaterThanOrEqual(0.99);
    expect(c4TextAgree / c4Kept).toBeGreaterThanOrEqual(0.99);
  });

  it('differs exactly where listed, each difference explained', () => {
    expect(spam().differences).toEqual(Object.fromEntries(Object.keys(KNOWN_DIFFERENCES).map((k) => [k, expect.any(String)])));
  });
});
