import { describe, expect, it } from 'vitest';
import { KEYS } from '../contract/keys.ts';
import { parsePolicy } from '../contract/policy.ts';
import { rememberedPolicy } from './remembered-policy.ts';

describe('the remembered policy', () => {
  const defaults = {};
  const pod = { [KEYS.logDir]: '/log', [KEYS.maxAge]: '3d', 'prometheus.io/scrape': 'true' };

  it('is parsePolicy, parsed once per set of logward.io/ settings and frozen', () => {
    const first = rememberedPolicy(pod, defaults);
    expect(first).toEqual(parsePolicy(pod, defaults));
    expect(rememberedPolicy({ ...pod, 'prometheus.io/scrape': 'false' }, defaults)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => (first as { warnings: string[] }).warnings.push('x')).toThrow(TypeError);
  });

  it('parses anew for another value, another unknown logward.io/ key or other defaults', () => {
    const first = rememberedPolicy(pod, defaults);
    const longer = rememberedPolicy({ ...pod, [KEYS.maxAge]: '7d' }, defaults);
    expect(longer).not.toBe(first);
    expect(longer.ok && longer.policy.maxAgeMs).toBe(7 * 86_400_000);
    const typo = rememberedPolicy({ ...pod, 'logward.io/max-agee': '1d' }, defaults);
    expect(typo.warnings).toEqual(parsePolicy({ ...pod, 'logward.io/max-agee': '1d' }).warnings);
    expect(typo.warnings.length).toBeGreaterThan(0);
    const elsewhere = rememberedPolicy(pod, { [KEYS.maxAge]: '1d' });
    expect(elsewhere).not.toBe(first);
  });

  it('tells an unset value from the text "undefined"', () => {
    const unset = rememberedPolicy({ ...pod, [KEYS.compress]: undefined }, defaults);
    const text = rememberedPolicy({ ...pod, [KEYS.compress]: 'undefined' }, defaults);
    expect(unset.ok).toBe(true);
    expect(text.ok).toBe(false);
  });
});
