import { describe, expect, it } from 'vitest';
import { ALL_KEYS, BUILTIN_DEFAULTS, KEYS, PREFIX, ROWS } from './keys.ts';
import { isSettingKind } from './kinds.ts';
import { parsePolicy } from './policy.ts';

describe('the table of keys', () => {
  it('spells each key once, under our prefix', () => {
    expect(new Set(ALL_KEYS).size).toBe(ROWS.length);
    for (const key of ALL_KEYS) expect(key).toMatch(new RegExp(`^${PREFIX}[a-z][a-z-]*[a-z]$`));
  });

  it.each(ROWS.filter((row) => isSettingKind(row.kind)).map((row) => [row.key, row.example]))(
    'accepts the example it documents for %s (%s)',
    (key, example) => {
      // Sizes are documented for a size limit like the size-limit's own example.
      const result = parsePolicy({
        [KEYS.logDir]: '/log',
        [KEYS.sizeLimit]: ROWS.find((row) => row.key === KEYS.sizeLimit)!.example,
        [key]: example,
      });
      expect(result.ok ? [] : result.problems.map((p) => p.message)).toEqual([]);
    },
  );

  it('gives every share of the size limit a percent as its default, which a smaller volume keeps', () => {
    for (const row of ROWS.filter((r) => r.kind === 'percent-or-quantity')) {
      expect(BUILTIN_DEFAULTS[row.key], row.key).toMatch(/^\d+%$/);
    }
  });
});
