import { describe, expect, it } from 'vitest';
import { brownFileText, brownGenres, loadBrown } from '../../../datasets/builtin/brown.ts';
import { detokenize } from '../../../datasets/builtin/detokenize.ts';
import { DatasetInputError } from '../../../datasets/errors.ts';

describe('detokenize', () => {
  it('writes Brown tokens as ordinary English', () => {
    const tokens = ['``', 'Only', 'a', 'handful', "''", ',', 'the', 'jury', 'said', '(', 'twice', ')', ':', "'", 'No', "'", '.'];
    expect(detokenize(tokens)).toBe('"Only a handful", the jury said (twice): \'No\'.');
    expect(detokenize(['He', 'did', "n't", 'see', 'Bob', "'s", 'car', '?'])).toBe("He didn't see Bob's car?");
    expect(detokenize(['Ivan', 'Allen', 'Jr.', '.'])).toBe('Ivan Allen Jr.');
    expect(detokenize(['the', 'rest', ';', ';', 'but', 'why', '?', '?'])).toBe('the rest; but why?');
  });

  it('strips tags at the last slash and keeps headlines and paragraphs apart', () => {
    const tagged = '\n\n\tThe/at odds/nns were/bed 1-1/2/cd ./.\nIt/pps rained/vbd ./.\n\n\nMerger/nn-hl proposed/vbn-hl \nHowever/wrb ,/, no/at ./.\n';
    expect(brownFileText(tagged)).toBe('The odds were 1-1/2. It rained.\n\nMerger proposed\n\nHowever, no.');
  });
});

describe('loadBrown', () => {
  const all = loadBrown();

  it('loads 500 documents in 15 domains, ordered by file', () => {
    expect(all).toHaveLength(500);
    expect(new Set(all.map((d) => d.domain)).size).toBe(15);
    expect(all[0]).toMatchObject({ id: 'brown/ca01', domain: 'news', meta: { genre: 'a', file: 'ca01' } });
    expect(all.at(-1)).toMatchObject({ id: 'brown/cr09', domain: 'humor', meta: { genre: 'r', file: 'cr09' } });
    const ids = all.map((d) => d.id);
    expect(ids).toEqual([...ids].sort());
    expect(all.every((d) => typeof d.license === 'string' && d.license !== '')).toBe(true);
  });

  it('produces readable English without tag remnants', () => {
    const ca01 = all[0]!.text;
    expect(ca01.startsWith(
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.\n\n',
    )).toBe(true);
    for (const doc of all) {
      // word/tag for the commonest tags (the text itself has slashes: "and/or", "mg/l").
      expect(doc.text).not.toMatch(/\/(at|nn|nns|np|vbd|vbn|vbz|in|jj|cc|rb|ppss|pps|cs|dt|md|to|be|hv)(-tl|-hl|\$)?(?=\s|$)/);
      expect(doc.text).not.toMatch(/``|(?<!\d)''| ,| \.(\s|$)|;;|\?\?|\t/); // inch marks (4' 10'') stay
      expect(doc.text.length).toBeGreaterThan(5000);
    }
    const paragraphs = ca01.split('\n\n');
    expect(paragraphs.length).toBeGreaterThan(20);
    expect(paragraphs).toContain('Merger proposed');
  });

  it('selects genres by letter or name, in the corpus counts', () => {
    const news = loadBrown({ genres: ['a'] });
    expect(news).toHaveLength(44);
    expect(news.every((d) => d.domain === 'news')).toBe(true);
    expect(loadBrown({ genres: ['a', 'b', 'f', 'g'] })).toHaveLength(44 + 27 + 48 + 75);
    expect(loadBrown({ genres: ['news', 'science_fiction'] })).toHaveLength(44 + 6);
    expect(loadBrown({ genres: ['Learned'] }).map((d) => d.domain)).toEqual(Array(80).fill('learned'));
    expect(loadBrown({ genres: ['r'], limit: 3 }).map((d) => d.id)).toEqual(['brown/cr01', 'brown/cr02', 'brown/cr03']);
  });

  it('rejects an unknown genre, listing the valid ones', () => {
    expect(() => loadBrown({ genres: ['q'] })).toThrow(DatasetInputError);
    expect(() => loadBrown({ genres: ['poetry'] })).toThrow(/unknown genre "poetry": expected one of a \(news\), b \(editorial\).*r \(humor\)/);
    expect([...brownGenres().keys()].join('')).toBe('abcdefghjklmnpr');
  });

  it('returns copies, so callers cannot corrupt the cached corpus', () => {
    const first = loadBrown({ limit: 1 })[0]!;
    first.text = 'mutated';
    first.meta!.file = 'x';
    expect(loadBrown({ limit: 1 })[0]).toMatchObject({ text: expect.stringMatching(/^The Fulton/), meta: { file: 'ca01' } });
  });
});
