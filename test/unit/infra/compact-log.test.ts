/**
 * compactForLog: a failed lineage write logged by the Temporal SDK carried its whole SQL statement and 750
 * parameters on one line. What a log line keeps is bounded; what it drops is counted.
 */
import { describe, expect, it } from 'vitest';
import { compactForLog } from '../../../infra/logger.ts';

describe('compactForLog', () => {
  it('cuts a long statement and a long parameter list, saying how much was left out', () => {
    const params = Array.from({ length: 750 }, (_, i) => i);
    const query = `insert into "metrics" values ${'($1, $2), '.repeat(150)}`;
    const out = compactForLog({ error: { query, params, cause: { code: 'ECONNREFUSED', port: 5432 } }, activityType: 'pretrain' }) as {
      error: { query: string; params: unknown[]; cause: unknown };
      activityType: string;
    };
    expect(out.activityType).toBe('pretrain');
    expect(out.error.cause).toEqual({ code: 'ECONNREFUSED', port: 5432 });
    expect(out.error.query).toHaveLength(500 + `… (${query.length - 500} more characters)`.length);
    expect(out.error.query.endsWith(`(${query.length - 500} more characters)`)).toBe(true);
    expect(out.error.params).toEqual([...params.slice(0, 20), '… (730 more items)']);
    expect(JSON.stringify(out).length).toBeLessThan(1200);
  });

  it('keeps small values as they are, an Error its name and message, and stops at a depth', () => {
    expect(compactForLog({ a: 1, b: 'x', c: [true, null] })).toEqual({ a: 1, b: 'x', c: [true, null] });
    expect(compactForLog(new TypeError('bad'))).toMatchObject({ name: 'TypeError', message: 'bad' });
    const deep = { l1: { l2: { l3: { l4: { l5: { l6: { l7: 1 } } } } } } };
    expect(JSON.stringify(compactForLog(deep))).toContain('"[object]"');
  });
});
