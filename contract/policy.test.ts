import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';
import { KEYS, ROWS } from './keys.ts';
import { isSettingKind } from './kinds.ts';
import { ownSettings } from './layers.ts';
import { resolveOptIn } from './opt-in.ts';
import { formatProblems, parsePolicy } from './policy.ts';
import { formatBytes, parseQuantity } from './quantity.ts';

const base = { [KEYS.logDir]: '/log' };

describe('parseQuantity', () => {
  it.each([
    ['1Gi', 2 ** 30],
    ['512Mi', 512 * 2 ** 20],
    ['1G', 1e9],
    ['1.5Ki', 1536],
    ['1e3', 1000],
    ['100', 100],
  ])('%s is %d bytes', (text, bytes) => expect(parseQuantity(text)).toBe(bytes));

  it.each(['1GB', '100m', 'Gi', '-1Gi', '', '1 Gi'])('refuses %j', (text) =>
    expect(parseQuantity(text)).toBeUndefined(),
  );

  it('formats bytes in binary units', () => {
    expect(formatBytes(200 * 2 ** 20)).toBe('200Mi');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5Gi');
    expect(formatBytes(12)).toBe('12B');
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['2w', 1_209_600_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['7days', '7', 'd', '1h 30m', '-1h'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('parsePolicy', () => {
  it('fills every field from the built-in defaults', () => {
    const result = parsePolicy(base);
    expect(result).toEqual({
      ok: true,
      warnings: [],
      policy: {
        logDir: '/log',
        containers: undefined,
        sizeLimit: '1Gi',
        sizeLimitBytes: 2 ** 30,
        maxTotalBytes: Math.floor(2 ** 30 * 0.8),
        maxFileBytes: Math.floor(2 ** 30 * 0.1),
        hardLimitBytes: Math.floor(2 ** 30 * 0.95),
        maxAgeMs: 7 * 86_400_000,
        maxFiles: 10,
        compress: 'gzip',
        compressLevel: 6,
        closedAfterMs: 300_000,
        schedule: '* * * * *',
        recursive: false,
        include: ['*.log', '*.log.*', '*.out', '*.out.*', '*.err', '*.err.*'],
        exclude: ['*.lck', '*.lock', '*.pid'],
        sidecar: {
          cpuRequest: '10m',
          cpuLimit: '1',
          memoryRequest: '64Mi',
          memoryLimit: '160Mi',
          runAsUser: undefined,
          runAsGroup: undefined,
        },
        settings: expect.objectContaining({ maxAge: 7 * 86_400_000, compress: 'gzip', recursive: false }),
      },
    });
  });

  it('carries every setting of the table by its row name, so a new key needs no new field to reach its consumer', () => {
    const raw: Record<string, string> = {
      ...base,
      [KEYS.sidecarRunAsUser]: '1000',
      [KEYS.sidecarRunAsGroup]: '1000',
    };
    const result = parsePolicy(raw);
    if (!result.ok) throw new Error(formatProblems(result.problems));
    // Every setting with a value in force: written here, or built in.
    const settingRows = ROWS.filter(
      (row) => isSettingKind(row.kind) && (row.default !== undefined || raw[row.key] !== undefined),
    );
    expect(settingRows.length).toBeGreaterThan(10);
    for (const row of settingRows) expect(result.policy.settings, row.name).toHaveProperty(row.name);
    expect(result.policy.settings.sidecarRunAsUser).toBe(result.policy.sidecar.runAsUser);
    expect(result.policy.settings.closedAfter).toBe(result.policy.closedAfterMs);
  });

  it('prefers annotations over the fallback, and the fallback over built-in defaults', () => {
    const result = parsePolicy(
      { ...base, [KEYS.maxAge]: '12h' },
      { [KEYS.maxAge]: '1d', [KEYS.sizeLimit]: '200Mi', [KEYS.logDir]: '/ignored' },
    );
    expect(result.ok && result.policy).toMatchObject({
      maxAgeMs: 43_200_000,
      sizeLimitBytes: 200 * 2 ** 20,
      logDir: '/log',
    });
  });

  it('takes the zstd default level and accepts levels in its range', () => {
    const zstd = parsePolicy({ ...base, [KEYS.compress]: 'zstd' });
    expect(zstd.ok && zstd.policy.compressLevel).toBe(3);
    const high = parsePolicy({ ...base, [KEYS.compress]: 'zstd', [KEYS.compressLevel]: '19' });
    expect(high.ok && high.policy.compressLevel).toBe(19);
  });

  it.each([
    [KEYS.maxAge, '7days', 'logward.io/max-age: "7days" is not a duration; use e.g. 12h or 7d'],
    [
      KEYS.sizeLimit,
      '1GB',
      'logward.io/size-limit: "1GB" is not a positive Kubernetes quantity; use e.g. 512Mi or 2Gi',
    ],
    [
      KEYS.logDir,
      'log',
      'logward.io/log-dir: "log" is not an absolute path; use the directory the app logs into, e.g. /log or /var/log/app',
    ],
    [
      KEYS.maxFiles,
      'ten',
      'logward.io/max-files: "ten" is not a whole number; use e.g. 10 (0 keeps no rotated files)',
    ],
    [KEYS.compress, 'lz4', 'logward.io/compress: "lz4" is not supported; use gzip, zstd or none'],
    [
      KEYS.compressLevel,
      '12',
      'logward.io/compress-level: "12" is not a gzip level; use a whole number from 1 to 9',
    ],
    [
      KEYS.maxTotalSize,
      '150%',
      'logward.io/max-total-size: "150%" is not a percent between 0 and 100 of logward.io/size-limit; use e.g. 80%',
    ],
    [
      KEYS.schedule,
      'hourly',
      'logward.io/schedule: "hourly" is not a cron expression (has 1 fields; cron takes 5, or 6 with seconds first); use 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "* * * * *" or "*/30 * * * * *"',
    ],
    [KEYS.recursive, 'yes', 'logward.io/recursive: "yes" is not a boolean; use "true" or "false"'],
    [
      KEYS.sidecarRunAsUser,
      '0',
      'logward.io/sidecar-run-as-user: "0" is not a non-root numeric id; use a whole number from 1, e.g. 1000',
    ],
    [
      KEYS.sidecarCpuLimit,
      '1 core',
      'logward.io/sidecar-cpu-limit: "1 core" is not a CPU quantity; use e.g. 100m or 1, or none',
    ],
    [
      KEYS.containers,
      'App',
      'logward.io/containers: "App" is not a comma list of container names ("App" invalid); use e.g. app,worker',
    ],
  ])('names %s, the value and the accepted form', (key, value, message) => {
    const result = parsePolicy({ ...base, [key]: value });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([{ key, value, message }]);
  });

  it.each([
    ['/', 'is the root directory'],
    ['//', 'is the root directory'],
    ['/.', 'is the root directory'],
    ['/etc', 'is the system directory /etc'],
    ['/proc', 'is the system directory /proc'],
    ['/dev', 'is the system directory /dev'],
    ['/sys/fs', 'is inside the system directory /sys'],
    ['/usr/bin', 'is inside the system directory /usr'],
    ['/bin', 'is the system directory /bin'],
    ['/lib64', 'is the system directory /lib64'],
    ['/boot', 'is the system directory /boot'],
    ['/run', 'is the system directory /run'],
    ['/var/lib/kubelet/pods', 'is inside the system directory /var/lib/kubelet'],
    ['/var/run/secrets/kubernetes.io/serviceaccount', 'is inside the system directory /var/run'],
    ['/var', 'would hide the system directory /var/run'],
    ['/log/../etc', 'contains "..", which points elsewhere'],
    ['/log\nx', 'contains a control character'],
    ['/log\u0000', 'contains a control character'],
    ['/log\u007f', 'contains a control character'],
  ])('refuses log-dir %j: it %s', (logDir, reason) => {
    const result = parsePolicy({ [KEYS.logDir]: logDir });
    expect(!result.ok && result.problems).toEqual([
      {
        key: KEYS.logDir,
        value: logDir,
        message: `logward.io/log-dir: ${JSON.stringify(logDir)} ${reason}; use the directory the app logs into, e.g. /log or /var/log/app`,
      },
    ]);
  });

  it.each([
    ['/log/', '/log'],
    ['/log/.', '/log'],
    ['//var//log/app/', '/var/log/app'],
    ['/var/log', '/var/log'],
    ['/library/logs', '/library/logs'],
    ['/var/lib/app/logs', '/var/lib/app/logs'],
    ['/etcetera', '/etcetera'],
  ])('accepts log-dir %j as %j', (logDir, clean) => {
    const result = parsePolicy({ [KEYS.logDir]: logDir });
    expect(result.ok && result.policy.logDir).toBe(clean);
  });

  // The cron parser spends 27 s of CPU on `1-99999999`, and ten times that on this one: the
  // test's timeout is what fails if it is ever reached again.
  it.each(['1-999999999 * * * *', `${'1,'.repeat(200)}1 * * * *`])(
    'refuses the schedule %j before the cron parser expands it',
    (schedule) => {
      const result = parsePolicy({ ...base, [KEYS.schedule]: schedule });
      expect(!result.ok && result.problems.map((p) => p.key)).toEqual([KEYS.schedule]);
    },
    20_000,
  );

  it('reads a container listed twice as listed once', () => {
    const result = parsePolicy({ ...base, [KEYS.containers]: 'app, worker,app' });
    expect(result.ok && result.policy.containers).toEqual(['app', 'worker']);
  });

  it('suggests a key for the first few unknown keys only, and counts the rest', () => {
    const raw: Record<string, string> = { ...base, 'logward.io/max-ages': '1d' };
    for (let i = 0; i < 10_000; i++) raw[`logward.io/unknown-${i}`] = 'x';
    const result = parsePolicy(raw);
    expect(result.warnings).toHaveLength(6);
    expect(result.warnings[0]).toBe(
      'logward.io/max-ages is not a Logward annotation and is ignored; did you mean logward.io/max-age?',
    );
    expect(result.warnings[5]).toBe("9996 more logward.io/ annotations are not Logward's and are ignored");
  });

  it('names the other key of a cross-field problem', () => {
    const result = parsePolicy({ ...base, [KEYS.sizeLimit]: '512Mi', [KEYS.maxTotalSize]: '900Mi' });
    expect(!result.ok && result.problems.map((p) => [p.key, p.with])).toEqual([
      [KEYS.maxTotalSize, KEYS.sizeLimit],
      [KEYS.maxTotalSize, KEYS.hardLimit],
    ]);
  });

  it('requires a log directory when no default is configured', () => {
    const result = parsePolicy({});
    expect(!result.ok && result.problems.map((p) => p.key)).toEqual([KEYS.logDir]);
  });

  it('collects every problem in one pass', () => {
    const result = parsePolicy({ [KEYS.maxAge]: 'x', [KEYS.maxFiles]: '-1', [KEYS.compress]: 'rar' });
    expect(!result.ok && result.problems.map((p) => p.key)).toEqual([
      KEYS.logDir,
      KEYS.maxAge,
      KEYS.maxFiles,
      KEYS.compress,
    ]);
  });

  it('refuses a budget above the size limit, and a file cap above the budget', () => {
    const result = parsePolicy({
      ...base,
      [KEYS.sizeLimit]: '1Gi',
      [KEYS.maxTotalSize]: '2Gi',
      [KEYS.maxFileSize]: '3Gi',
    });
    expect(!result.ok && result.problems.map((p) => p.message)).toEqual([
      'logward.io/max-total-size: "2Gi" is above logward.io/size-limit: "1Gi"; use at most the size limit, e.g. 80%',
      'logward.io/max-total-size: "2Gi" is above logward.io/hard-limit: "95%"; the budget must sit below the last-resort line',
      'logward.io/max-file-size: "3Gi" is above logward.io/max-total-size: "2Gi"; a single file could exceed the whole budget',
    ]);
  });

  it('says one thing about a refused value: the checks across keys skip it', () => {
    const zero = parsePolicy({ ...base, [KEYS.hardLimit]: '0' });
    expect(!zero.ok && zero.problems.map((p) => p.key)).toEqual([KEYS.hardLimit]);
    const noUnit = parsePolicy({ ...base, [KEYS.sizeLimit]: '2', [KEYS.maxTotalSize]: '100Mi' });
    expect(!noUnit.ok && noUnit.problems.map((p) => p.key)).toEqual([KEYS.sizeLimit]);
  });

  it('refuses a sidecar request above its limit', () => {
    const result = parsePolicy({
      ...base,
      [KEYS.sidecarCpuRequest]: '2',
      [KEYS.sidecarMemoryRequest]: '1Gi',
    });
    expect(!result.ok && result.problems.map((p) => p.key)).toEqual([
      KEYS.sidecarCpuRequest,
      KEYS.sidecarMemoryRequest,
    ]);
  });

  it('drops a limit written as none', () => {
    const result = parsePolicy({ ...base, [KEYS.sidecarCpuLimit]: 'none' });
    expect(result.ok && result.policy.sidecar.cpuLimit).toBeUndefined();
  });

  it('warns on unknown keys with a suggestion, and on a budget with little headroom', () => {
    const result = parsePolicy({ ...base, 'logward.io/max-ages': '1d', [KEYS.maxTotalSize]: '94%' });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      'logward.io/max-ages is not a Logward annotation and is ignored; did you mean logward.io/max-age?',
      'logward.io/max-total-size: "94%" is over 90% of logward.io/size-limit: a burst between sweeps may reach the limit and get the pod evicted',
    ]);
  });
});

describe('resolveOptIn', () => {
  const t = { [KEYS.inject]: 'true' };
  const f = { [KEYS.inject]: 'false' };
  it.each([
    [t, {}, 'in'],
    [f, t, 'out'],
    [t, f, 'in'],
    [{}, t, 'in'],
    [{}, f, 'out'],
    [{}, {}, 'unset'],
    [{ [KEYS.inject]: 'yes' }, t, 'invalid'],
    [{}, { [KEYS.inject]: 'on' }, 'invalid'],
  ])('pod %j, workload %j -> %s', (pod, workload, kind) =>
    expect(resolveOptIn({ pod, workload }).kind).toBe(kind),
  );

  it('names the key and value of an invalid opt-in', () => {
    const result = resolveOptIn({ pod: { [KEYS.inject]: 'yes' } });
    expect(result).toEqual({
      kind: 'invalid',
      problem: {
        key: KEYS.inject,
        value: 'yes',
        message: 'logward.io/inject: "yes" is not a boolean; use "true" or "false"',
      },
    });
  });

  it('merges our keys only, the pod winning key by key', () => {
    expect(
      ownSettings({
        workload: { [KEYS.maxAge]: '1d', [KEYS.maxFiles]: '3', 'other.io/x': 'y' },
        pod: { [KEYS.maxAge]: '2d', 'kubectl.kubernetes.io/restartedAt': 'now' },
      }),
    ).toEqual({ [KEYS.maxAge]: '2d', [KEYS.maxFiles]: '3' });
  });
});

describe('sizes without a unit', () => {
  it.each([KEYS.sizeLimit, KEYS.maxTotalSize, KEYS.maxFileSize, KEYS.hardLimit])(
    'refuses a bare number below 1Mi for %s, naming the key and the form',
    (key) => {
      const result = parsePolicy({ ...base, [key]: '2' });
      expect(result.ok).toBe(false);
      expect(!result.ok && result.problems.filter((p) => p.key === key)).toEqual([
        {
          key,
          value: '2',
          message: `${key}: "2" has no unit and is under 1Mi; write the unit, e.g. 2Gi or 512Mi`,
        },
      ]);
    },
  );

  it('accepts a bare number of 1Mi or more, and small sizes with a unit', () => {
    const result = parsePolicy({
      ...base,
      [KEYS.sizeLimit]: '2000000000',
      [KEYS.maxFileSize]: '512Ki',
    });
    expect(result.ok && [result.policy.sizeLimitBytes, result.policy.maxFileBytes]).toEqual([
      2_000_000_000,
      512 * 1024,
    ]);
  });
});

describe('the volume size limit', () => {
  it('bounds the size limit the annotations ask for, and the percents follow it', () => {
    const result = parsePolicy({ ...base, [KEYS.sizeLimit]: '2Gi' }, {}, { volumeSizeLimit: '500Mi' });
    expect(result.ok && result.policy).toMatchObject({
      sizeLimit: '2Gi',
      sizeLimitBytes: 500 * 2 ** 20,
      maxTotalBytes: Math.floor(500 * 2 ** 20 * 0.8),
      hardLimitBytes: Math.floor(500 * 2 ** 20 * 0.95),
    });
  });

  it('leaves a smaller annotated size limit as it is', () => {
    const result = parsePolicy({ ...base, [KEYS.sizeLimit]: '100Mi' }, {}, { volumeSizeLimit: '500Mi' });
    expect(result.ok && result.policy.sizeLimitBytes).toBe(100 * 2 ** 20);
  });

  it('scales down sizes given as quantities that no longer fit, with a warning', () => {
    const result = parsePolicy(
      { ...base, [KEYS.sizeLimit]: '2Gi', [KEYS.maxTotalSize]: '1500Mi', [KEYS.maxFileSize]: '10Mi' },
      {},
      { volumeSizeLimit: '500Mi' },
    );
    expect(result.ok && result.policy).toMatchObject({
      maxTotalBytes: Math.floor(500 * 2 ** 20 * 0.8),
      maxFileBytes: 10 * 2 ** 20,
    });
    expect(result.warnings).toContain(
      'the volume\'s sizeLimit 500Mi is below logward.io/size-limit: "2Gi"; the sidecar budgets against 500Mi, and logward.io/max-total-size: "1500Mi" becomes 80% of it',
    );
  });
});

describe('include and exclude', () => {
  it('reads comma lists of globs', () => {
    const result = parsePolicy({ ...base, [KEYS.include]: '*.log, access_log*', [KEYS.exclude]: 'debug/**' });
    expect(result.ok && [result.policy.include, result.policy.exclude]).toEqual([
      ['*.log', 'access_log*'],
      ['debug/**'],
    ]);
  });

  it.each([
    ['*.log,', 'has an empty pattern'],
    ['/var/log/*.log', '"/var/log/*.log" is absolute'],
    ['../*.log', '"../*.log" leaves the log directory'],
    ['app[.log', '"app[.log" has an unclosed ['],
  ])('refuses %j naming the problem and the form', (text, reason) => {
    const result = parsePolicy({ ...base, [KEYS.include]: text });
    expect(!result.ok && result.problems.map((p) => p.message)).toEqual([
      `logward.io/include: ${JSON.stringify(text)} ${reason}; use a comma list of globs relative to the log directory, e.g. *.log,*.log.*`,
    ]);
  });
});
