import { describe, expect, it } from 'vitest';
import { CODEC_NAMES, CODECS, codecOfName, withoutCodecExtension } from './codecs.ts';

describe('the codec table', () => {
  it.each(CODEC_NAMES)('%s: default and fastest levels lie in its range', (codec) => {
    const { levels, defaultLevel, fastestLevel } = CODECS[codec];
    expect(levels.min).toBeLessThanOrEqual(fastestLevel);
    expect(fastestLevel).toBeLessThanOrEqual(defaultLevel);
    expect(defaultLevel).toBeLessThanOrEqual(levels.max);
  });

  it('gives each codec an extension of its own, so a name says which codec wrote it', () => {
    const extensions = CODEC_NAMES.map((codec) => CODECS[codec].extension);
    expect(new Set(extensions).size).toBe(extensions.length);
    for (const codec of CODEC_NAMES) expect(codecOfName(`app.log.1${CODECS[codec].extension}`)).toBe(codec);
  });

  it.each([
    ['app.log.1.gz', 'app.log.1'],
    ['app.2021-01-04T10-30-00-123Z.log.zst', 'app.2021-01-04T10-30-00-123Z.log'],
    ['app.log', 'app.log'],
    ['app.gzip', 'app.gzip'],
    ['app.log.bz2', 'app.log.bz2'],
  ])('reads %s as %s without its codec extension', (name, plain) => {
    expect(withoutCodecExtension(name)).toBe(plain);
  });
});
