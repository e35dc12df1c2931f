// The stream and liveness rules, as tables: which files are one writer's generations, and which
// file of a stream the app may be writing. The rules are stated in streams.ts and plan.ts.
import { describe, expect, it } from 'vitest';
import { isOurRotation, isTempName, rotatedName, sourceName, tempNameFor } from './names.ts';
import { classify, type PlanPolicy } from './plan.ts';
import { streamOf } from './streams.ts';
import type { FileInfo } from './types.ts';

describe('streamOf', () => {
  it.each([
    // The seed app: one file per day, spills when a day's file is full.
    ['going.2021-01-04.log', 'going.log'],
    ['going.2021-01-10.log.full.1.log', 'going.log'],
    ['going.2021-01-10.log.full.2.log', 'going.log'],
    ['going.2021-01-11.log', 'going.log'],
    ['going.2021-01-04.log.gz', 'going.log'],
    // Ours: rotations of a capped live file, and archives under a stamped name.
    ['going.2021-01-04T10-30-00-123Z.log.gz', 'going.log'],
    ['going.2021-01-04.2021-01-04T10-30-00-123Z.1.log.zst', 'going.log'],
    ['app.log.1.2021-01-04T10-30-00-123Z.gz', 'app.log'],
    // Python RotatingFileHandler (numbers after the extension) and TimedRotatingFileHandler.
    ['app.log', 'app.log'],
    ['app.log.1', 'app.log'],
    ['app.log.12', 'app.log'],
    ['app.log.2.gz', 'app.log'],
    ['app.log.2021-01-04', 'app.log'],
    ['app.log.2021-01-04_10-00', 'app.log'],
    // logback: time based, size and time based (an index after the date), and log4j2's.
    ['app.2021-01-04.log', 'app.log'],
    ['app.2021-01-04.0.log.gz', 'app.log'],
    ['app.2021-01-04.17.log', 'app.log'],
    ['app-2021-01-04-1.log.gz', 'app.log'],
    ['app-20210104.log', 'app.log'],
    ['app_2021-01-04_10-00.log', 'app.log'],
    // winston-daily-rotate-file, hourly.
    ['application-2021-01-04-10.log', 'application.log'],
    // Numbers before the extension name different writers.
    ['worker.1.log', 'worker.1.log'],
    ['worker.2.log', 'worker.2.log'],
    ['worker.2.log.1', 'worker.2.log'],
    // Names that are only a date are one stream.
    ['2021-01-04.log', '{date}.log'],
    ['2021-01-05.log.gz', '{date}.log'],
    ['20210104.log', '{date}.log'],
    // Unique names are streams of their own.
    ['job-3f2a.log', 'job-3f2a.log'],
    ['job-77c1.log', 'job-77c1.log'],
    ['.hidden.log', '.hidden.log'],
    ['access_log', 'access_log'],
    ['worker/app.2021-01-04.log', 'worker/app.log'],
  ])('%s belongs to %s', (name, stream) => expect(streamOf(name)).toBe(stream));

  it('keeps different apps apart', () => {
    expect(streamOf('going.2021-01-04.log')).not.toBe(streamOf('stat.2021-01-04.log'));
  });
});

const MINUTE = 60_000;
const DAY = 86_400_000;
const now = Date.UTC(2021, 0, 11, 12, 0, 0);
const policy: Pick<PlanPolicy, 'closedAfterMs' | 'include' | 'exclude' | 'recursive'> = {
  closedAfterMs: 5 * MINUTE,
  include: ['*.log', '*.log.*', '*.out', '*.out.*', '*.err', '*.err.*'],
  exclude: ['*.lck', '*.lock', '*.pid'],
  recursive: false,
};

type Row = [name: string, ageMs: number, role: string, extra?: Partial<FileInfo>];
let inode = 0;

function roles(rows: Row[]): string[][] {
  const files = rows.map(([name, ageMs, , extra]) => ({
    name,
    size: 100,
    allocatedBytes: 4096,
    mtimeMs: now - ageMs,
    ino: ++inode,
    links: 1,
    ...extra,
  }));
  return classify(files, policy, now).map((c) => [c.file.name, c.why ? `${c.role}: ${c.why}` : c.role]);
}

describe('liveness', () => {
  it.each<[string, Row[]]>([
    [
      'the seed app: past days and a spill closed, today live, stat.log live',
      [
        ['going.2021-01-09.log', 2 * DAY, 'closed'],
        ['going.2021-01-10.log', DAY + MINUTE, 'closed'],
        ['going.2021-01-10.log.full.1.log', DAY, 'closed'],
        ['going.2021-01-11.log', 1000, 'live'],
        ['stat.log', 500, 'live'],
      ],
    ],
    [
      'Python rollover: the newest is live, a just-rotated one recent, older ones closed',
      [
        ['app.log', 0, 'live'],
        ['app.log.1', MINUTE, 'recent'],
        ['app.log.2', 60 * MINUTE, 'closed'],
        ['app.log.3.gz', 120 * MINUTE, 'archive'],
      ],
    ],
    [
      'logback size and time: archives, a closed index, the active file live',
      [
        ['app.2021-01-10.0.log.gz', DAY, 'archive'],
        ['app.2021-01-10.1.log.gz', DAY, 'archive'],
        ['app.2021-01-11.0.log', 30 * MINUTE, 'closed'],
        ['app.log', 0, 'live'],
      ],
    ],
    [
      'date-only names: one stream, the newest live',
      [
        ['2021-01-09.log', 2 * DAY, 'closed'],
        ['2021-01-10.log', DAY, 'closed'],
        ['2021-01-11.log', 0, 'live'],
      ],
    ],
    [
      'unique names: each the live file of its own stream, however idle',
      [
        ['job-3f2a.log', 2 * DAY, 'live'],
        ['job-77c1.log', MINUTE, 'live'],
      ],
    ],
    [
      'two workers: two streams, the idle one still live',
      [
        ['worker.1.log', 0, 'live'],
        ['worker.2.log', 60 * MINUTE, 'live'],
      ],
    ],
    [
      'our rotations and archives are never live, however new',
      [
        ['a.2021-01-11T11-59-00-000Z.log.gz', 0, 'archive'],
        ['a.log.1.2021-01-10T11-59-00-000Z.gz', 0, 'archive'],
        ['a.log', DAY, 'live'],
      ],
    ],
    [
      'files that are not logs, hard-linked logs and subdirectories are left alone',
      [
        ['app.db', 0, 'ignored: not_a_log'],
        ['app.pid', DAY, 'ignored: not_a_log'],
        ['cache.2024-01-01.bin', 10 * DAY, 'ignored: not_a_log'],
        ['java0.log.lck', DAY, 'ignored: not_a_log'],
        ['linked.log', DAY, 'ignored: hard_linked', { links: 2 }],
        ['archive/old.log', DAY, 'ignored: subdirectory'],
        ['.app.log.gz.logward-tmp', 0, 'leftover'],
      ],
    ],
  ])('%s', (_title, rows) => {
    expect(roles(rows)).toEqual(rows.map(([name, , role]) => [name, role]));
  });
});

describe('our names', () => {
  const at = Date.UTC(2021, 0, 4, 10, 30, 0, 123);
  it('stamps a rotation before the extension', () => {
    expect(rotatedName('going.log', at)).toBe('going.2021-01-04T10-30-00-123Z.log');
    expect(rotatedName('w/stat', at, 2)).toBe('w/stat.2021-01-04T10-30-00-123Z.2');
    expect(isOurRotation('going.2021-01-04T10-30-00-123Z.log')).toBe(true);
    expect(isOurRotation('going.2021-01-04T10-30-00-123Z.1.log.gz')).toBe(true);
    expect(isOurRotation('going.2021-01-04.log')).toBe(false);
  });
  it('hides temporary files and recognises them', () => {
    expect(tempNameFor('w/going.log.gz')).toBe('w/.going.log.gz.logward-tmp');
    expect(isTempName('w/.going.log.gz.logward-tmp')).toBe(true);
    expect(isTempName('going.log.logward-tmp')).toBe(false);
  });
  it.each([
    ['app.log.1.gz', 'app.log.1'],
    ['app.log.1.2021-01-04T10-30-00-123Z.gz', 'app.log.1'],
    ['w/access_log.2021-01-04T10-30-00-123Z.1.zst', 'w/access_log'],
    ['going.2021-01-04T10-30-00-123Z.log.gz', 'going.log'],
  ])('knows %s was made from %s', (name, source) => expect(sourceName(name)).toBe(source));
});
