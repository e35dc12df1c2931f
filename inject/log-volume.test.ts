import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanMountPath } from './log-volume.ts';

/** The spelling rule itself, without the shortcut for paths already clean. */
const rebuilt = (path: string) =>
  `/${path
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/')}`;

describe('cleanMountPath', () => {
  it('writes one spelling for one mount point', () => {
    expect(cleanMountPath('/var/log/app/')).toBe('/var/log/app');
    expect(cleanMountPath('//var/./log')).toBe('/var/log');
    expect(cleanMountPath('var/log')).toBe('/var/log');
    expect(cleanMountPath('/')).toBe('/');
    expect(cleanMountPath('/.')).toBe('/');
    expect(cleanMountPath('/var/../log')).toBe('/var/../log');
    expect(cleanMountPath('/var/.hidden')).toBe('/var/.hidden');
  });

  it('spells any path as rebuilding it segment by segment does', () => {
    const segment = fc.constantFrom('', '.', '..', '.x', 'x.', 'log', 'a b');
    const path = fc
      .tuple(fc.boolean(), fc.array(segment, { maxLength: 6 }))
      .map(([absolute, segments]) => `${absolute ? '/' : ''}${segments.join('/')}`);
    fc.assert(fc.property(path, (p) => cleanMountPath(p) === rebuilt(p)));
  });
});
