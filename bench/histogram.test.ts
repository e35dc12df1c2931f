import { describe, expect, it } from 'vitest';
import { median, percentile, summarize } from './histogram.ts';

describe('percentile', () => {
  const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1);

  it.each([
    [50, 50],
    [99, 99],
    [99.9, 100],
    [100, 100],
    [0, 1],
    [1, 1],
  ])('p%d of 1..100 is %d (nearest rank)', (p, expected) => {
    expect(percentile(hundred, p)).toBe(expected);
  });

  it('takes the largest value for p99.9 of fewer than 1,000 samples', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 1000], 99.9)).toBe(1000);
  });

  it('is NaN without samples', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('summarize', () => {
  it('sorts numerically, not as strings', () => {
    const summary = summarize([10, 9, 100, 1, 2]);
    expect(summary).toMatchObject({ count: 5, min: 1, max: 100, p50: 9, mean: 24.4 });
  });

  it('keeps a single slow outlier visible in p99.9 and max', () => {
    const values = [...Array(9_999).fill(1), 250];
    const summary = summarize(values);
    expect(summary.p99).toBe(1);
    expect(summary.p999).toBe(1);
    expect(summary.max).toBe(250);
  });

  it('reports NaN figures, not zeros, for an empty run', () => {
    expect(summarize([])).toMatchObject({ count: 0, p50: Number.NaN, max: Number.NaN });
  });
});

describe('median', () => {
  it('is the lower middle of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2);
  });
});
