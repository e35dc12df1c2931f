import { describe, expect, it } from 'vitest';
import { UsageError } from '../base/errors.ts';
import { BUILTIN_DEFAULTS, KEYS, shortName } from '../contract/keys.ts';
import { SIDECAR_POLICY_KEYS as POLICY_KEYS } from '../contract/sidecar-flags.ts';
import { helpText, inFlagTerms, parseSidecarArgs } from './flags.ts';

describe('parseSidecarArgs', () => {
  it('maps every policy flag to its annotation key', () => {
    const args = POLICY_KEYS.flatMap((key) =>
      key === KEYS.recursive ? ['--recursive'] : [`--${shortName(key)}`, `v-${shortName(key)}`],
    );
    const parsed = parseSidecarArgs(['--dir', '/log', ...args]);
    expect(Object.keys(parsed.policyFlags).sort()).toEqual([...POLICY_KEYS].sort());
    expect(parsed.policyFlags[KEYS.maxAge]).toBe('v-max-age');
    expect(parsed.policyFlags[KEYS.recursive]).toBe('true');
  });

  it('reads the command flags', () => {
    expect(
      parseSidecarArgs(['--dir', 'logs', '--once', '--dry-run', '--metrics-port', '0', '--no-recursive']),
    ).toEqual({
      help: false,
      dir: 'logs',
      annotationsFile: undefined,
      once: true,
      dryRun: true,
      metricsPort: 0,
      policyFlags: { [KEYS.recursive]: 'false' },
    });
    expect(parseSidecarArgs([]).metricsPort).toBe(9102);
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--metrics-port', 'http'], '--metrics-port: "http" is not a port; use a whole number from 0 to 65535'],
    [['extra'], 'extra'],
  ])('refuses %j with a UsageError', (args, message) => {
    expect(() => parseSidecarArgs(args)).toThrow(UsageError);
    expect(() => parseSidecarArgs(args)).toThrow(message);
  });

  it('speaks of flags, not annotation keys, in messages about flags', () => {
    expect(inFlagTerms('logward.io/max-file-size: "3Gi" is above logward.io/max-total-size: "2Gi"')).toBe(
      '--max-file-size: "3Gi" is above --max-total-size: "2Gi"',
    );
  });
});

describe('helpText', () => {
  it('lists every policy flag with its default', () => {
    const help = helpText();
    for (const key of POLICY_KEYS) {
      const line = help.split('\n').find((l) => l.trimStart().startsWith(`--${shortName(key)}`));
      expect(line, shortName(key)).toBeDefined();
      const fallback = BUILTIN_DEFAULTS[key];
      if (fallback) expect(line).toContain(`(default: ${fallback}`);
    }
    for (const flag of ['--dir', '--annotations-file', '--once', '--dry-run', '--metrics-port'])
      expect(help).toContain(flag);
  });
});
