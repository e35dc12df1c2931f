import { describe, expect, it } from 'vitest';
import { classify, type PlanPolicy, plan } from './plan.ts';
import type { FileInfo } from './types.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
const KI = 1024;
const now = Date.UTC(2021, 0, 11, 12, 0, 0);

const policy: PlanPolicy = {
  maxTotalBytes: 800 * KI,
  maxFileBytes: 100 * KI,
  hardLimitBytes: 950 * KI,
  maxAgeMs: 7 * DAY,
  maxFiles: 10,
  compress: 'gzip',
  closedAfterMs: 5 * MINUTE,
  include: ['*.log', '*.log.*', '*.out', '*.out.*', '*.err', '*.err.*'],
  exclude: ['*.lck', '*.lock', '*.pid'],
  recursive: false,
};

/** A file `ageMs` old of `kib` KiB, fully allocated unless `allocatedKib` says otherwise. */
let inode = 0;
function file(name: string, kib: number, ageMs: number, allocatedKib = kib): FileInfo {
  return {
    name,
    size: kib * KI,
    allocatedBytes: allocatedKib * KI,
    mtimeMs: now - ageMs,
    ino: ++inode,
    links: 1,
  };
}

/** `kind file reason` per action: compact enough to read a table at a glance. */
function summary(files: FileInfo[], overrides: Partial<PlanPolicy> = {}, options = {}): string[] {
  return plan(files, { ...policy, ...overrides }, now, options).map((a) =>
    [a.kind, a.file, 'reason' in a ? a.reason : ''].join(' ').trim(),
  );
}

describe('classify', () => {
  it('picks the newest of a stream by mtime as live, whatever the names say', () => {
    const roles = classify(
      [
        file('going.2021-01-11.log', 1, 10 * DAY),
        file('going.2021-01-04.log', 1, MINUTE),
        file('going.2021-01-10.log', 1, DAY),
      ],
      policy,
      now,
    ).map((f) => [f.file.name, f.role]);
    expect(roles).toEqual([
      ['going.2021-01-11.log', 'closed'],
      ['going.2021-01-04.log', 'live'],
      ['going.2021-01-10.log', 'closed'],
    ]);
  });

  it('treats a superseded file written within closed-after as possibly open', () => {
    const roles = classify([file('a.log.1', 1, MINUTE), file('a.log', 1, 0)], policy, now).map((f) => f.role);
    expect(roles).toEqual(['recent', 'live']);
  });

  it('never makes a compressed file or one of our rotations live', () => {
    const roles = classify(
      [file('a.log.gz', 1, 0), file('a.2021-01-11T11-59-00-000Z.log', 1, 0), file('a.log', 1, DAY)],
      policy,
      now,
    ).map((f) => f.role);
    expect(roles).toEqual(['archive', 'archive', 'live']);
  });
});

describe('plan', () => {
  it.each<[string, FileInfo[], Partial<PlanPolicy>, string[]]>([
    ['nothing to do for a single small live file', [file('app.log', 10, 0)], {}, []],
    [
      'removes leftovers before anything else',
      [file('.app.log.gz.logward-tmp', 5, DAY), file('app.log', 10, 0)],
      {},
      ['remove-leftover .app.log.gz.logward-tmp'],
    ],
    [
      'compresses closed files, not the live one nor a recent one',
      [file('app.log.1', 10, DAY), file('app.log.2', 10, MINUTE), file('app.log', 10, 0)],
      {},
      ['compress app.log.1 closed'],
    ],
    [
      'does not compress when compression is off',
      [file('app.log.1', 10, DAY), file('app.log', 10, 0)],
      { compress: 'none' },
      [],
    ],
    [
      'deletes rotated files past max-age',
      [file('app.log.1.gz', 1, 8 * DAY), file('app.log.2.gz', 1, 2 * DAY), file('app.log', 1, 0)],
      {},
      ['delete app.log.1.gz over_max_age'],
    ],
    [
      'keeps the newest max-files rotated files per stream',
      [
        file('a.log.1.gz', 1, 1 * DAY),
        file('a.log.2.gz', 1, 3 * DAY),
        file('a.log.3.gz', 1, 2 * DAY),
        file('a.log', 1, 0),
        file('b.log.1.gz', 1, 5 * DAY),
        file('b.log', 1, 0),
      ],
      { maxFiles: 2 },
      ['delete a.log.2.gz over_max_files'],
    ],
    [
      'trims to the total budget oldest first across streams',
      [
        file('a.log.1.gz', 300, 1 * DAY),
        file('b.log.1.gz', 300, 3 * DAY),
        file('a.log.2.gz', 300, 2 * DAY),
        file('a.log', 250, 0),
      ],
      { maxFileBytes: 300 * KI },
      ['delete b.log.1.gz over_max_total_size', 'delete a.log.2.gz over_max_total_size'],
    ],
    [
      'counts allocated bytes, not apparent sizes, for the budget',
      [file('a.log.1.gz', 300, 1 * DAY, 1), file('b.log.1.gz', 300, 3 * DAY, 1), file('a.log', 50, 0)],
      {},
      [],
    ],
    [
      'counts our temporary files in the usage',
      [file('.x.gz.logward-tmp', 500, 0), file('a.log.1.gz', 400, DAY), file('a.log', 50, 0)],
      {},
      ['remove-leftover .x.gz.logward-tmp'],
    ],
    [
      'waits for pending compressions before trimming when the hard limit is far',
      [file('a.log.1', 500, 2 * DAY), file('a.log.2.gz', 400, 3 * DAY), file('a.log', 50, 0)],
      { hardLimitBytes: 2000 * KI, maxTotalBytes: 800 * KI },
      ['compress a.log.1 closed'],
    ],
    [
      'trims at once, pending compressions or not, at the hard limit',
      [file('a.log.1', 500, 2 * DAY), file('a.log.2.gz', 400, 3 * DAY), file('a.log', 50, 0)],
      {},
      ['delete a.log.2.gz over_max_total_size', 'compress a.log.1 closed'],
    ],
    [
      'caps a live file whose data passed max-file-size',
      [file('a.log', 101, 0), file('b.log', 100, 0)],
      {},
      ['cap a.log over_max_file_size'],
    ],
    [
      'does not cap a file whose apparent size is large but whose holes hold nothing',
      [file('a.log', 5000, 0, 20)],
      {},
      [],
    ],
    [
      'caps the largest live file as a last resort when only live data remains',
      [file('a.log', 90, 0), file('b.log', 90, 0), file('c.log', 95, 0), ...manyLive(8)],
      {},
      ['cap c.log over_hard_limit', 'cap a.log over_hard_limit', 'cap b.log over_hard_limit'],
    ],
    [
      'drops from a single live file at the hard limit, then rotates what is left over max-file-size',
      [file('a.log', 960, 0)],
      {},
      ['cap a.log over_hard_limit', 'cap a.log over_max_file_size'],
    ],
    [
      'prefers deleting rotated files to the last resort',
      [file('z.log.1.gz', 100, DAY), file('a.log', 90, 0), ...manyLive(9)],
      {},
      ['delete z.log.1.gz over_max_total_size'],
    ],
  ])('%s', (_title, files, overrides, expected) => {
    expect(summary(files, overrides)).toEqual(expected);
  });

  it('names the rotated target with the time and the compression', () => {
    expect(plan([file('a.log', 150, 0)], policy, now)).toEqual([
      {
        kind: 'cap',
        file: 'a.log',
        keepBytes: 0,
        rotated: 'a.2021-01-11T12-00-00-000Z.log.gz',
        compression: 'gzip',
        reason: 'over_max_file_size',
      },
    ]);
  });

  it('catches up at the fastest level once a live file reached twice its cap before a pass', () => {
    const [behind] = plan([file('a.log', 200, 0)], policy, now);
    expect(behind).toMatchObject({ kind: 'cap', reason: 'over_max_file_size', catchUp: true });
    const [onTime] = plan([file('a.log', 199, 0)], policy, now);
    expect(onTime).not.toHaveProperty('catchUp');
    const [uncompressed] = plan([file('a.log', 400, 0)], { ...policy, compress: 'none' }, now);
    expect(uncompressed).not.toHaveProperty('catchUp');
  });

  it('drops only what brings the usage back to the budget in the last resort', () => {
    // 11 files of 90Ki = 990Ki against a budget of 800Ki: drop 90Ki, 90Ki, then 10Ki of a third.
    const caps = plan([file('a.log', 90, 0), ...manyLive(10)], policy, now);
    expect(caps.map((c) => c.kind === 'cap' && [c.file, c.keepBytes, c.rotated])).toEqual([
      ['a.log', 0, undefined],
      ['s0.log', 0, undefined],
      ['s1.log', 80 * KI, undefined],
    ]);
  });

  it('after ENOSPC, takes the usage for the hard limit and trims at once, compressions pending or not', () => {
    // 950Ki used when the volume filled, far below a 2000Ki hard limit: the budget becomes 90%
    // of 950Ki (the policy's budget to hard-limit ratio), and the oldest history goes.
    const files = [file('a.log.1', 500, 2 * DAY), file('a.log.2.gz', 400, 3 * DAY), file('a.log', 50, 0)];
    const policyOnBigVolume = { maxTotalBytes: 1800 * KI, hardLimitBytes: 2000 * KI };
    expect(summary(files, policyOnBigVolume, { noSpace: true })).toEqual([
      'delete a.log.2.gz over_max_total_size',
      'compress a.log.1 closed',
    ]);
    expect(summary(files, policyOnBigVolume)).toEqual(['compress a.log.1 closed']);
  });

  it('after ENOSPC with nothing left to delete, drops the oldest bytes of the live file', () => {
    expect(summary([file('a.log', 500, 0)], {}, { noSpace: true })).toEqual([
      'cap a.log over_hard_limit',
      'cap a.log over_max_file_size',
    ]);
  });

  it('never plans anything for a file that is not a log, and drops live bytes only halfway to the hard limit when such files alone exceed the budget', () => {
    // 800Ki of database (the whole budget) and a 200Ki live log: 1000Ki, over the 950Ki hard
    // limit. Down to 875Ki, halfway between budget and hard limit: 75Ki of the log stay.
    const caps = plan([file('app.db', 800, 0), file('app.log', 200, 0)], policy, now);
    expect(caps.map((a) => [a.kind, a.file, a.kind === 'cap' && a.keepBytes])).toEqual([
      ['cap', 'app.log', 75 * KI],
    ]);
  });

  it('never acts on a live or recent file except to cap it', () => {
    const files = [file('a.log.2', 700, 2 * MINUTE), file('a.log', 99, 0), file('b.log', 99, 0)];
    const touched = plan(files, { ...policy, maxFiles: 0, maxAgeMs: 0 }, now).filter((a) => a.kind !== 'cap');
    expect(touched).toEqual([]);
  });
});

function manyLive(count: number): FileInfo[] {
  return Array.from({ length: count }, (_, i) => file(`s${i}.log`, 90, 0));
}

describe('plan: names that are streams of their own', () => {
  it('manages date-only names as one stream: compresses past days, ages out the oldest', () => {
    const days = Array.from({ length: 9 }, (_, i) => file(`2021-01-0${i + 1}.log`, 10, (11 - i) * DAY));
    expect(summary([...days, file('2021-01-11.log', 10, 0)], { maxFiles: 4 })).toEqual([
      'delete 2021-01-04.log over_max_age',
      'delete 2021-01-03.log over_max_age',
      'delete 2021-01-02.log over_max_age',
      'delete 2021-01-01.log over_max_age',
      'delete 2021-01-05.log over_max_files',
      'compress 2021-01-09.log closed',
      'compress 2021-01-08.log closed',
      'compress 2021-01-07.log closed',
      'compress 2021-01-06.log closed',
    ]);
  });

  it('expires an idle file with a unique name by max-age, and keeps one written within it', () => {
    expect(summary([file('job-3f2a.log', 10, 8 * DAY), file('job-77c1.log', 10, 6 * DAY)])).toEqual([
      'delete job-3f2a.log over_max_age',
    ]);
  });

  it('at the hard limit, removes idle files with unique names before dropping bytes of active ones', () => {
    const jobs = Array.from({ length: 9 }, (_, i) => file(`job-${i}.log`, 100, (i + 1) * 60 * MINUTE));
    const plans = summary([...jobs, file('app.log', 90, 0)]);
    expect(plans.filter((p) => p.startsWith('cap'))).toEqual([]);
    expect(plans[0]).toBe('delete job-8.log over_hard_limit');
  });
});
