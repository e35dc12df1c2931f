import { describe, expect, it } from 'vitest';
import { parseDirectories } from '../contract/directories.ts';
import { KEYS } from '../contract/keys.ts';
import { rememberedDirectories } from './remembered-directories.ts';

describe('the remembered directories', () => {
  const inherited = {};
  const pod = { [KEYS.logDir]: '/log', [KEYS.maxAge]: '3d', 'prometheus.io/scrape': 'true' };

  it('is parseDirectories, parsed once per set of logward.io/ settings and frozen', () => {
    const first = rememberedDirectories(pod, inherited);
    expect(first).toEqual(parseDirectories(pod, inherited));
    expect(rememberedDirectories({ ...pod, 'prometheus.io/scrape': 'false' }, {})).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => (first as { warnings: string[] }).warnings.push('x')).toThrow(TypeError);
  });

  it('parses anew for another value, another unknown logward.io/ key or other inherited settings', () => {
    const first = rememberedDirectories(pod, inherited);
    const longer = rememberedDirectories({ ...pod, [KEYS.maxAge]: '7d' }, inherited);
    expect(longer).not.toBe(first);
    expect(longer.ok && longer.policy.maxAgeMs).toBe(7 * 86_400_000);
    const typo = rememberedDirectories({ ...pod, 'logward.io/max-agee': '1d' }, inherited);
    expect(typo.warnings).toEqual(parseDirectories({ ...pod, 'logward.io/max-agee': '1d' }).warnings);
    expect(typo.warnings.length).toBeGreaterThan(0);
    const fromNamespace = rememberedDirectories(pod, { [KEYS.maxFiles]: '3' });
    expect(fromNamespace).not.toBe(first);
    expect(fromNamespace.ok && fromNamespace.policy.maxFiles).toBe(3);
  });

  it('tells an unset value from the text "undefined"', () => {
    const unset = rememberedDirectories({ ...pod, [KEYS.compress]: undefined }, inherited);
    const text = rememberedDirectories({ ...pod, [KEYS.compress]: 'undefined' }, inherited);
    expect(unset.ok).toBe(true);
    expect(text.ok).toBe(false);
  });
});
