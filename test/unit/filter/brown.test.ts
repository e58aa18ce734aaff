import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRule, type RuleName } from '../../../activities/filter/rules/index.ts';
import { loadBrown } from './brown.ts';

const RULES: RuleName[] = ['gopher-quality', 'gopher-repetition', 'c4', 'fineweb'];

/** What datatrove 0.10.1 itself says of each Brown document (regenerate with brown-datatrove.py). */
interface Reference {
  datatrove: string;
  docs: Record<string, Record<RuleName, string | null> & { c4Sha256?: string }>;
}
const reference = JSON.parse(readFileSync(new URL('./brown-datatrove.json', import.meta.url), 'utf8')) as Reference;

interface BrownRun {
  docs: ReturnType<typeof loadBrown>;
  /** Per rule: how many documents were kept and how many each reason rejected. */
  counts: Record<RuleName, Record<string, number>>;
  /** Rejected documents as `id (genre)`, per rule and reason. */
  rejected: Record<string, string[]>;
  agree: number;
  c4TextAgree: number;
}

let run: BrownRun | undefined;

/** Runs the four rules over Brown once (lazily, so it counts against the test timeout, not the hook's). */
function brown(): BrownRun {
  if (run) return run;
  const docs = loadBrown();
  const rules = RULES.map((name) => createRule(name));
  const counts = Object.fromEntries(RULES.map((r) => [r, {}])) as BrownRun['counts'];
  const rejected: Record<string, string[]> = {};
  let agree = 0;
  let c4TextAgree = 0;
  for (const doc of docs) {
    for (const rule of rules) {
      const name = rule.name as RuleName;
      const r = rule.check({ id: doc.id, text: doc.text, domain: doc.genre });
      const key = r.keep ? 'kept' : r.reason;
      counts[name][key] = (counts[name][key] ?? 0) + 1;
      if (!r.keep) (rejected[`${name}: ${r.reason}`] ??= []).push(`${doc.id} (${doc.genre})`);
      if ((r.keep ? null : r.reason) === reference.docs[doc.id]![name]) agree++;
      if (name === 'c4' && r.keep) {
        const sha = createHash('sha256').update(r.text ?? doc.text).digest('hex').slice(0, 16);
        if (sha === reference.docs[doc.id]!.c4Sha256) c4TextAgree++;
      }
    }
  }
  console.log(`Brown, decisions per rule: ${JSON.stringify(counts, null, 1)}\nrejected: ${JSON.stringify(rejected, null, 1)}`);
  return (run = { docs, counts, rejected, agree, c4TextAgree });
}

describe('the four rules over the Brown corpus (500 documents of edited American English)', () => {
  it('loads every document with its genre', () => {
    const { docs } = brown();
    expect(docs).toHaveLength(500);
    expect(new Set(docs.map((d) => d.genre)).size).toBe(15);
    expect(docs.every((d) => d.text.split(/\s+/).length > 1500)).toBe(true);
  });

  it('keeps the large majority of documents under each rule', () => {
    const { docs, counts } = brown();
    expect(counts['gopher-quality'].kept).toBeGreaterThanOrEqual(0.9 * docs.length);
    expect(counts['gopher-repetition'].kept).toBeGreaterThanOrEqual(0.95 * docs.length);
    expect(counts.c4.kept).toBeGreaterThanOrEqual(0.95 * docs.length);
    expect(counts.fineweb.kept).toBeGreaterThanOrEqual(0.95 * docs.length);
  });

  it(`agrees with datatrove ${reference.datatrove} on at least 99% of decisions and of C4 rewrites`, () => {
    const { docs, agree, c4TextAgree } = brown();
    expect(agree / (docs.length * RULES.length)).toBeGreaterThanOrEqual(0.99);
    const c4Kept = Object.values(reference.docs).filter((d) => d.c4 === null).length;
    expect(c4TextAgree / c4Kept).toBeGreaterThanOrEqual(0.99);
  });
});
