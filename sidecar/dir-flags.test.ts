import { describe, expect, it } from 'vitest';
import { UsageError } from '../base/errors.ts';
import { KEYS } from '../contract/keys.ts';
import { parseSidecarArgs } from './flags.ts';

describe('--dir', () => {
  it('keeps one plain --dir the one-directory sidecar', () => {
    expect(parseSidecarArgs(['--dir=/logs'])).toMatchObject({ dir: '/logs', directories: undefined });
  });

  it('reads several, each with its app path, volume limit and policy values', () => {
    const parsed = parseSidecarArgs([
      '--dir=/v/1',
      '--dir=/v/2:app-dir=/app/gc;volume-size-limit=256Mi;max-age=1d',
    ]);
    expect(parsed.dir).toBeUndefined();
    expect(parsed.directories).toEqual([
      { path: '/v/1', label: '/v/1', volumeSizeLimit: undefined, policyFlags: {} },
      { path: '/v/2', label: '/app/gc', volumeSizeLimit: '256Mi', policyFlags: { [KEYS.maxAge]: '1d' } },
    ]);
  });

  it.each([
    [['--dir=/a:bogus=1'], /--dir: "\/a:bogus=1" sets "bogus", which is not a flag; use --dir=PATH/],
    [['--dir=/a:max-age'], /"max-age" is not name=value/],
    [['--dir=/a', '--dir=/a/'], /"\/a" is given twice/],
    [['--dir=/a:app-dir=/x', '--dir=/b:app-dir=/x'], /two directories have the app-dir "\/x"/],
    [['--dir=/a:volume-size-limit=lots'], /volume-size-limit "lots" is not a positive Kubernetes quantity/],
    [['--dir=:max-age=1d'], /has no path/],
  ])('refuses %j with the accepted form', (args, message) => {
    expect(() => parseSidecarArgs(args)).toThrow(UsageError);
    expect(() => parseSidecarArgs(args)).toThrow(message);
  });
});
