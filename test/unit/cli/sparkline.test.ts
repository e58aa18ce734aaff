import { describe, expect, it } from 'vitest';
import { RecentSeries, sparkline } from '../../../cli/sparkline.ts';

describe('sparkline', () => {
  it('scales the values from their minimum (▁) to their maximum (█)', () => {
    expect(sparkline([5, 4, 3, 2, 1])).toBe('█▆▅▃▁');
    expect(sparkline([1, 8])).toBe('▁█');
  });

  it('keeps the last `width` values and skips non-finite ones', () => {
    expect(sparkline([100, 1, 2, Number.NaN, 3], 3)).toBe('▁▅█');
    expect(sparkline([Number.POSITIVE_INFINITY, 2, 1])).toBe('█▁');
  });

  it('draws equal values mid-height and nothing for no values', () => {
    expect(sparkline([2, 2, 2])).toBe('▄▄▄');
    expect(sparkline([])).toBe('');
  });
});

describe('RecentSeries', () => {
  it('takes one value per step and keeps the most recent', () => {
    const s = new RecentSeries(3);
    s.add(1, 5);
    s.add(1, 5);
    s.add(2, 4);
    s.add(3, 3);
    s.add(4, 2);
    expect(s.values()).toEqual([4, 3, 2]);
  });
});
