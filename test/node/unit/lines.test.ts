import { describe, expect, it } from 'vitest';
import { countLines, missing } from '../lines.ts';

const line = (n: number) => `seq=${n} 2021-01-04T12:00:00Z INFO going GET /api/orders end=${n}\n`;
const lines = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => line(from + i)).join('');

describe('counting the seed app lines after rotation', () => {
  it('finds every line of whole files', () => {
    const count = countLines([lines(1, 5), lines(6, 9)]);
    expect(missing(count, 9)).toEqual([]);
    expect(count.duplicates).toBe(0);
  });

  it('rejoins a line cut in two across files, in any file order', () => {
    const stream = lines(1, 20);
    for (const cut of [1, 3, 57, 58, 59, 100, stream.length - 1]) {
      const count = countLines([stream.slice(cut), stream.slice(0, cut)]);
      expect(missing(count, 20)).toEqual([]);
      expect(count.unmatchedFragments).toEqual([]);
    }
  });

  it('reports a lost line, a lost half line and a duplicate', () => {
    const stream = lines(1, 10);
    const cut = stream.indexOf('seq=5') + 10;
    const count = countLines([stream.slice(0, cut), lines(7, 10), lines(9, 9)]);
    expect(missing(count, 10)).toEqual([5, 6]);
    expect(count.unmatchedFragments).toHaveLength(1);
    expect(count.duplicates).toBe(1);
  });

  it('ignores NULs a hole leaves', () => {
    expect(missing(countLines([`\0\0\0${lines(1, 3)}`]), 3)).toEqual([]);
  });
});
