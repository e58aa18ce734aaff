import { describe, expect, it } from 'vitest';
import { splitIntoSentences, wordTokenize } from '../../../activities/filter/rules/index.ts';

// Expected outputs are what datatrove 0.10.1's split_into_words / split_into_sentences (spaCy 3.8) return.
describe('English word tokenizer (port of spacy.blank("en"))', () => {
  const cases: Array<[string, string[]]> = [
    ["I can't believe it's not butter!", ['I', 'ca', "n't", 'believe', 'it', "'s", 'not', 'butter', '!']],
    ["Mr. Smith moved to the U.S. in 1999, didn't he?", ['Mr.', 'Smith', 'moved', 'to', 'the', 'U.S.', 'in', '1999', ',', 'did', "n't", 'he', '?']],
    ["He said ``hello'' to me -- then left.", ['He', 'said', '`', '`', 'hello', "''", 'to', 'me', '--', 'then', 'left', '.']],
    ['Visit https://example.com/a?b=1 or mail me@example.org.', ['Visit', 'https://example.com/a?b=1', 'or', 'mail', 'me@example.org', '.']],
    ['The well-known 3.5km run costs $20 (really).', ['The', 'well', '-', 'known', '3.5', 'km', 'run', 'costs', '$', '20', '(', 'really', ')', '.']],
    ["Wait... what?! It's 10am.", ['Wait', '...', 'what', '?', '!', 'It', "'s", '10', 'am', '.']],
    ["#news :) x-ray e.g. o'clock", ['#', 'news', ':)', 'x', '-', 'ray', 'e.g.', "o'clock"]],
    ['\u201cQuoted,\u201d she wrote; \u2018single\u2019 too.', ['\u201c', 'Quoted', ',', '\u201d', 'she', 'wrote', ';', '\u2018', 'single', '\u2019', 'too', '.']],
    ['  two\n\nparagraphs \t here  ', ['two', 'paragraphs', 'here']],
  ];
  for (const [text, words] of cases) {
    it(JSON.stringify(text), () => expect(wordTokenize(text)).toEqual(words));
  }
});

describe('English sentence splitter (port of the spaCy sentencizer)', () => {
  it('cuts after sentence-final punctuation and keeps closing punctuation with the sentence', () => {
    expect(splitIntoSentences('Dr. Who arrived. He left! Did he? "Yes." Then (again) nothing.')).toEqual([
      'Dr. Who arrived.',
      ' He left!',
      ' Did he? "',
      'Yes."',
      ' Then (again) nothing.',
    ]);
  });

  it('returns pieces that concatenate back to the text, at least one', () => {
    expect(splitIntoSentences('One.  Two.\n\nThree')).toEqual(['One.', '  Two.', '\n\nThree']);
    expect(splitIntoSentences('No end punctuation here')).toEqual(['No end punctuation here']);
    expect(splitIntoSentences('')).toEqual(['']);
  });
});
