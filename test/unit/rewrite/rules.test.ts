import { describe, expect, it } from 'vitest';
import { boilerplateKind, repairLine, rewriteWithRules, rulesEngine } from '../../../activities/rewrite/engines/rules.ts';

describe('rules engine: boilerplate lines', () => {
  const cases: Array<[string, string | null]> = [
    ['Home | About Us | Blog | Contact', 'navigation'],
    ['Home > Recipes > Soups', 'navigation'],
    ['Skip to main content', 'navigation'],
    ['« Previous post', 'navigation'],
    ['Read more', 'navigation'],
    ['We use cookies to give you the best experience.', 'cookies'],
    ['This website uses cookies. Accept all cookies', 'cookies'],
    ['Click here to download the PDF.', 'click-here'],
    ['© 2024 Acme Corp.', 'copyright'],
    ['Copyright 2019 The Authors', 'copyright'],
    ['All rights reserved.', 'copyright'],
    ['Share this:', 'share'],
    ['Facebook Twitter LinkedIn Email', 'share'],
    ['Follow us on Instagram', 'share'],
    ['Subscribe to our newsletter for weekly tips', 'subscribe'],
    ['Log in | Register', 'subscribe'],
    ['Tags: soup, winter, easy', 'tags'],
    ['Advertisement', 'advertisement'],
    // Content that merely mentions the same words stays.
    ['I baked cookies using my grandmother’s recipe.', null],
    ['Copyright law differs from country to country.', null],
    ['The ratio a > b holds here.', null],
    ['Home is where the heart is, they say.', null],
    [`${'We use cookies in this long paragraph about baking, '.repeat(3)}and the rest of it is about flour.`, null],
  ];
  it.each(cases)('%s → %s', (line, kind) => {
    expect(boilerplateKind(line)).toBe(kind);
  });
});

describe('rules engine: line repair', () => {
  const cases: Array<[string, string]> = [
    ['the river  flows north for 300 km ,and floods in spring', 'The river flows north for 300 km, and floods in spring.'],
    ['Wait!!! Is it true??? yes it is', 'Wait! Is it true? Yes it is.'],
    ['it rained all day .it was cold and wet outside', 'It rained all day. It was cold and wet outside.'],
    ['we saw apples,pears;plums and more at the market', 'We saw apples, pears; plums and more at the market.'],
    ['He paused.... then left.. The end', 'He paused... then left. The end.'],
    ['( see the table ) for the numbers we used', '(see the table) for the numbers we used.'],
    ['i think i’m right and i will say so', 'I think I’m right and I will say so.'],
    ['The U.S. army arrived. soldiers rested in the town', 'The U.S. army arrived. Soldiers rested in the town.'],
    ['Use e.g. salt and pepper, i.e. the basics, etc. as needed', 'Use e.g. salt and pepper, i.e. the basics, etc. as needed.'],
    ['Dr. smith and J. doe wrote the first report on it', 'Dr. smith and J. doe wrote the first report on it.'],
    ['It costs 3.50 dollars or 1,200 yen in total today', 'It costs 3.50 dollars or 1,200 yen in total today.'],
    ['See https://example.com/a,b?x=1.Y and mail me at a.b@c.org now', 'See https://example.com/a,b?x=1.Y and mail me at a.b@c.org now.'],
    ['Introduction To The Old Town', 'Introduction To The Old Town'],
    ['A short heading', 'A short heading'],
    ['iPhone sales grew in the third quarter of the year', 'iPhone sales grew in the third quarter of the year.'],
  ];
  it.each(cases)('%s', (input, expected) => {
    expect(repairLine(input)).toBe(expected);
  });
});

describe('rules engine: whole documents', () => {
  it('removes boilerplate and repeated lines, repairs the rest, keeps paragraphs', () => {
    const input = [
      'Skip to content',
      'Home | News | Sports | Weather',
      'We use cookies to improve your experience.',
      '',
      'Flood warning for the valley',
      '',
      '',
      'the river  rose two metres overnight ,and roads are closed',
      'The river rose two metres overnight, and roads are closed!!',
      'residents should avoid the bridge.officials will update at noon',
      '',
      'Click here to sign up for alerts.',
      'Share this:',
      'Facebook Twitter Email',
      '© 2024 Valley News. All rights reserved.',
    ].join('\r\n');
    expect(rewriteWithRules(input)).toBe(
      [
        'Flood warning for the valley',
        '',
        'The river rose two metres overnight, and roads are closed.',
        'Residents should avoid the bridge.officials will update at noon.',
      ].join('\n'),
    );
  });

  it('leaves a short one-line paragraph without punctuation alone (a heading), but ends sentences in running text', () => {
    expect(rewriteWithRules('Where the river meets the sea\n\nthe delta is wide and flat today\nboats moor along the muddy banks')).toBe(
      'Where the river meets the sea\n\nThe delta is wide and flat today.\nBoats moor along the muddy banks.',
    );
  });

  it('gives null for a document that is all boilerplate or blank', () => {
    expect(rewriteWithRules('Home | About | Contact\nAccept all cookies\n© 2020 Foo')).toBeNull();
    expect(rewriteWithRules(' \n\t\n')).toBeNull();
  });

  it('normalises tabs, no-break and zero-width characters', () => {
    expect(rewriteWithRules('one\ttwo\u00a0three\u200b four five six seven eight nine')).toBe('One two three four five six seven eight nine.');
  });

  it('is idempotent on its own output', () => {
    const once = rewriteWithRules('the cat sat on the mat ,then slept .it was warm!!!\nthe cat sat on the mat, then slept. It was warm!')!;
    expect(rewriteWithRules(once)).toBe(once);
  });

  it('the engine maps each text, in order', async () => {
    const engine = rulesEngine();
    expect(engine.name).toBe('rules');
    expect(await engine.rewrite(['so this is a line of nine words here', 'Read more', 'x'])).toEqual(['So this is a line of nine words here.', null, 'x']);
  });
});
