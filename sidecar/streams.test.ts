import { describe, expect, it } from 'vitest';
import { isOurRotation, isTempName, rotatedName, tempNameFor } from './names.ts';
import { streamOf } from './streams.ts';

describe('streamOf', () => {
  it.each([
    ['going.2021-01-04.log', 'going.log'],
    ['going.2021-01-10.log.full.1.log', 'going.log'],
    ['going.2021-01-11.log', 'going.log'],
    ['going.2021-01-04.log.gz', 'going.log'],
    ['going.2021-01-04T10-30-00-123Z.log.gz', 'going.log'],
    ['going.2021-01-04.2021-01-04T10-30-00-123Z.1.log.zst', 'going.log'],
    ['stat.log', 'stat.log'],
    ['stat.log.1', 'stat.log'],
    ['stat.1.log', 'stat.log'],
    ['stat.log.2.gz', 'stat.log'],
    ['app-20210104.log', 'app.log'],
    ['app_2021-01-04_10-00.log', 'app.log'],
    ['worker/app.2021-01-04.log', 'worker/app.log'],
    ['access_log', 'access_log'],
    ['2021-01-04.log', '2021-01-04.log'],
  ])('%s belongs to %s', (name, stream) => expect(streamOf(name)).toBe(stream));

  it('keeps different apps apart', () => {
    expect(streamOf('going.2021-01-04.log')).not.toBe(streamOf('stat.2021-01-04.log'));
  });
});

describe('our names', () => {
  const now = Date.UTC(2021, 0, 4, 10, 30, 0, 123);
  it('stamps a rotation before the extension', () => {
    expect(rotatedName('going.log', now)).toBe('going.2021-01-04T10-30-00-123Z.log');
    expect(rotatedName('w/stat', now, 2)).toBe('w/stat.2021-01-04T10-30-00-123Z.2');
    expect(isOurRotation('going.2021-01-04T10-30-00-123Z.log')).toBe(true);
    expect(isOurRotation('going.2021-01-04T10-30-00-123Z.1.log.gz')).toBe(true);
    expect(isOurRotation('going.2021-01-04.log')).toBe(false);
  });
  it('hides temporary files and recognises them', () => {
    expect(tempNameFor('w/going.log.gz')).toBe('w/.going.log.gz.logward-tmp');
    expect(isTempName('w/.going.log.gz.logward-tmp')).toBe(true);
    expect(isTempName('going.log.logward-tmp')).toBe(false);
  });
});
