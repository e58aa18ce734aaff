import { describe, expect, it } from 'vitest';
import { decontaminationWords, Decontaminator, evalItemsFromDocs } from '../../../activities/filter/decontaminate.ts';
import { loadBrown } from '../../../datasets/builtin/brown.ts';
import { loadBrownCloze } from '../../../datasets/builtin/evalsets.ts';

const QUESTION = 'What is the capital city of France, the country whose flag is blue, white and red? Answer: Paris.';
const SHORT = 'Ask not what your country can do';

describe('decontaminationWords', () => {
  it('lowercases, folds compatibility forms, and splits on anything that is not a letter, digit or mark', () => {
    expect(decontaminationWords("Don't STOP—now!  It's 3.14 (approx.)")).toEqual(['don', 't', 'stop', 'now', 'it', 's', '3', '14', 'approx']);
    expect(decontaminationWords('Ｆｕｌｌｗｉｄｔｈ café ﬁne')).toEqual(['fullwidth', 'café', 'fine']);
    expect(decontaminationWords(' \n ')).toEqual([]);
  });
});

describe('Decontaminator (13-gram overlap)', () => {
  const d = new Decontaminator([
    { id: 'q1', set: 'trivia', text: QUESTION },
    { id: 'q2', set: 'quotes', text: SHORT },
  ]);

  it('flags a document containing 13 consecutive words of an item, whatever its case and punctuation', () => {
    const doc = { id: 'web-1', text: 'Quiz time!\nWHAT IS THE CAPITAL CITY OF FRANCE -- the country whose flag is blue... and so on.' };
    expect(d.check(doc)).toEqual({
      contaminated: true,
      matches: [{ set: 'trivia', id: 'q1', ngram: 'what is the capital city of france the country whose flag is blue' }],
    });
  });

  it('does not flag 12 consecutive words', () => {
    expect(d.check({ id: 'web-2', text: 'what is the capital city of France, the country whose flag is' })).toEqual({ contaminated: false });
    expect(d.check({ id: 'web-3', text: 'the capital city of France is Paris; the country whose flag is blue' })).toEqual({ contaminated: false });
  });

  it('treats an item shorter than 13 words as one gram of its whole text', () => {
    expect(d.check({ id: 'speech', text: '"And so, my fellow Americans: ask not what your country can do for you."' })).toEqual({
      contaminated: true,
      matches: [{ set: 'quotes', id: 'q2', ngram: 'ask not what your country can do' }],
    });
    expect(d.check({ id: 'partial', text: 'ask not what your country can' })).toEqual({ contaminated: false });
  });

  it('lists each overlapping item once, in document order', () => {
    const text = `${SHORT}. Also: ${QUESTION} And again ${QUESTION} ${SHORT}`;
    const r = d.check({ id: 'both', text });
    expect(r.contaminated && r.matches.map((m) => m.id)).toEqual(['q2', 'q1']);
  });

  it('honours another n, and rejects an item without words', () => {
    const d5 = new Decontaminator([{ id: 'q1', set: 'trivia', text: QUESTION }], { ngram: 5 });
    expect(d5.check({ id: 'x', text: 'whose flag is blue white' }).contaminated).toBe(true);
    expect(d5.check({ id: 'x', text: 'whose flag is blue' }).contaminated).toBe(false);
    expect(() => new Decontaminator([{ id: 'a', set: 's', text: 'ok words' }, { id: 'b', set: 's', text: '?!' }])).toThrow(/evalItems\[1\] \(set "s", id "b"\) has no words/);
    expect(() => new Decontaminator([], { ngram: 0 })).toThrow(/ngram must be a positive integer/);
  });
});

describe('Brown against builtin:eval/brown-cloze', () => {
  it('flags exactly the Brown documents the cloze items were drawn from', () => {
    const cloze = loadBrownCloze();
    expect(cloze.length).toBeGreaterThanOrEqual(95);
    const items = evalItemsFromDocs(cloze);
    expect(items[0]).toEqual({ id: cloze[0]!.id, set: 'brown-cloze', text: cloze[0]!.text });
    const d = new Decontaminator(items);
    const sources = new Map(cloze.map((c) => [c.id, c.meta!.source]));
    const flagged = new Map<string, string[]>();
    for (const doc of loadBrown()) {
      const r = d.check(doc);
      if (r.contaminated) flagged.set(doc.id, r.matches.map((m) => m.id));
    }
    expect([...flagged.keys()].sort()).toEqual([...new Set(sources.values())].sort());
    for (const [docId, ids] of flagged) for (const id of ids) expect(sources.get(id), `${docId} matched ${id}`).toBe(docId);
  });
});
