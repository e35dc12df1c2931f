import { describe, expect, it } from 'vitest';
import { countLines, parseNumberedLines, withoutNuls } from './lines.ts';

const WIDTH = 16;
const line = (n: number) => `${String(n).padStart(9, '0')} ${'x'.repeat(WIDTH - 11)}\n`;
const text = (numbers: number[]) => numbers.map(line).join('');

describe('parseNumberedLines', () => {
  it('reads the numbers of whole lines in order', () => {
    expect(parseNumberedLines(text([1, 2, 3]), WIDTH)).toEqual({ numbers: [1, 2, 3], malformed: 0 });
  });

  it('drops NULs from holes before splitting, so a line after a hole is intact', () => {
    const holed = `${line(1)}${'\0'.repeat(4096)}${line(2)}`;
    expect(parseNumberedLines(holed, WIDTH)).toEqual({ numbers: [1, 2], malformed: 0 });
  });

  it('counts a torn line as malformed rather than reading a number from it', () => {
    const torn = `${line(1)}${line(2).slice(0, 7)}${line(3)}`;
    expect(parseNumberedLines(torn, WIDTH)).toEqual({ numbers: [1], malformed: 1 });
  });

  it('joins a line split across two files (a cap mid-line) when the parts are concatenated', () => {
    const whole = text([1, 2, 3]);
    const [first, second] = [whole.slice(0, 20), whole.slice(20)];
    expect(parseNumberedLines(first + second, WIDTH).numbers).toEqual([1, 2, 3]);
  });
});

describe('countLines', () => {
  it('finds nothing lost or duplicated in a complete sequence', () => {
    expect(countLines([1, 2, 3, 4], 4)).toEqual({
      written: 4,
      found: 4,
      lost: 0,
      duplicated: 0,
      malformed: 0,
    });
  });

  it('counts gaps as lost wherever they are, including the very last lines', () => {
    expect(countLines([1, 2, 5, 6], 8)).toMatchObject({ found: 4, lost: 4 });
  });

  it('counts every extra copy as a duplicate, independently of order', () => {
    expect(countLines([3, 1, 2, 3, 3, 2], 3)).toMatchObject({ found: 3, lost: 0, duplicated: 3 });
  });

  it('counts numbers the writer never reported as malformed, not found', () => {
    expect(countLines([1, 2, 9], 2, 1)).toMatchObject({ found: 2, lost: 0, malformed: 2 });
  });
});

describe('withoutNuls', () => {
  it('keeps every other byte in order', () => {
    const input = Buffer.concat([
      Buffer.alloc(3),
      Buffer.from('ab'),
      Buffer.alloc(5000),
      Buffer.from('c\n'),
      Buffer.alloc(1),
    ]);
    expect(withoutNuls(input).toString()).toBe('abc\n');
  });

  it('returns an empty buffer for a file that is all hole', () => {
    expect(withoutNuls(Buffer.alloc(1 << 16)).length).toBe(0);
  });
});
