import { describe, expect, it } from 'vitest';
import { formatBytes, formatMs, formatPercent, ratio, table } from './format.ts';

describe('ratio', () => {
  it.each([
    [50, 100, '0.50x'],
    [100, 40, '2.50x'],
    [0, 37, '0.00x'],
    [0, 0, '='],
    [5, 0, 'n/a'],
    [null, 3, 'n/a'],
    [Number.NaN, 3, 'n/a'],
  ])('%s over %s is %s', (ours, peer, expected) => {
    expect(ratio(ours, peer)).toBe(expected);
  });
});

describe('units', () => {
  it.each([
    [512, '512 B'],
    [1536, '1.50 KiB'],
    [64 * 2 ** 20, '64.0 MiB'],
    [2 ** 30, '1.00 GiB'],
    [150 * 2 ** 30, '150 GiB'],
  ])('%d bytes is %s', (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });

  it('prints durations in the unit a reader compares at a glance', () => {
    expect([formatMs(1.234), formatMs(12.34), formatMs(850), formatMs(61_000)]).toEqual([
      '1.23 ms',
      '12.3 ms',
      '850 ms',
      '61.0 s',
    ]);
  });

  it('says n/a for figures JSON turned into null', () => {
    expect([formatBytes(null), formatMs(undefined), formatPercent(null)]).toEqual(['n/a', 'n/a', 'n/a']);
  });
});

describe('table', () => {
  it('renders a GitHub table and escapes pipes in cells', () => {
    expect(
      table(
        ['Tool', 'Lost'],
        [
          ['logrotate | cron', '37'],
          ['Logward', '0'],
        ],
      ),
    ).toBe('| Tool | Lost |\n|---|---|\n| logrotate \\| cron | 37 |\n| Logward | 0 |');
  });

  it('refuses a row whose cell count does not match the header', () => {
    expect(() => table(['a', 'b'], [['1']])).toThrow('row has 1 cells, table has 2 columns');
  });
});
