import { describe, expect, it } from 'vitest';
import { parseDirectories } from './directories.ts';
import { KEYS } from './keys.ts';
import { formatEntry, parseLogDirs, splitEntry } from './log-dirs.ts';

const MI = 2 ** 20;

function problemsOf(result: ReturnType<typeof parseDirectories>): string[] {
  return result.ok ? [] : result.problems.map((p) => p.message);
}

describe('parseLogDirs', () => {
  it('reads a comma list of directories, cleaned, with spaces around entries', () => {
    const result = parseLogDirs(' /var/log/nginx/ , /app//logs,/app/gc/. ');
    expect(result).toEqual({
      ok: true,
      directories: [
        { path: '/var/log/nginx', overrides: {} },
        { path: '/app/logs', overrides: {} },
        { path: '/app/gc', overrides: {} },
      ],
    });
  });

  it('reads overrides after a colon, by key name', () => {
    const result = parseLogDirs('/app/logs,/app/gc:size-limit=256Mi; max-age=1d ;containers=jvm');
    expect(result).toEqual({
      ok: true,
      directories: [
        { path: '/app/logs', overrides: {} },
        {
          path: '/app/gc',
          overrides: { [KEYS.sizeLimit]: '256Mi', [KEYS.maxAge]: '1d', [KEYS.containers]: 'jvm' },
        },
      ],
    });
  });

  it.each([
    ['', 'names no directory'],
    [' , ', 'names no directory'],
    ['/app/logs,logs', 'entry "logs" is not an absolute path'],
    ['/app/logs,/etc/app', 'entry "/etc/app" is inside the system directory /etc'],
    ['/app/logs,/app/../etc', 'entry "/app/../etc" contains ".."'],
    ['/app/logs,/app/logs/', 'lists "/app/logs" twice'],
    ['/app,/app/logs', '"/app/logs" is inside "/app"'],
    ['/app/logs/gc,/app/logs', '"/app/logs/gc" is inside "/app/logs"'],
    ['/app/gc:size-limit', 'entry "/app/gc:size-limit": "size-limit" is not name=value'],
    ['/app/gc:size-limit=', 'is not name=value'],
    ['/app/gc:max-age=1d;max-age=2d', 'sets max-age twice'],
    ['/app/gc:inject=false', 'sets "inject", which a directory cannot set apart; use size-limit,'],
    ['/app/gc:sidecar-memory-limit=1Gi', 'sets "sidecar-memory-limit", which a directory cannot'],
  ])('refuses %j, naming the key and the form', (text, message) => {
    const result = parseLogDirs(text);
    expect(result.ok).toBe(false);
    const messages = result.ok ? [] : result.problems.map((p) => p.message);
    expect(messages.join('\n')).toContain(message);
    for (const m of messages) expect(m.startsWith(`${KEYS.logDirs}: `)).toBe(true);
  });

  it('refuses more directories than one sidecar is sized for, saying what to do instead', () => {
    const many = Array.from({ length: 17 }, (_, i) => `/logs/${i}`).join(',');
    const result = parseLogDirs(many);
    expect(result.ok ? [] : result.problems.map((p) => p.message)).toEqual([
      `${KEYS.logDirs}: lists 17 directories; list at most 16 (each is a volume and a watcher in the sidecar), or log under one directory and set ${KEYS.recursive}`,
    ]);
    expect(parseLogDirs(many.replace(',/logs/16', '')).ok).toBe(true);
  });

  it('collects every problem at once', () => {
    const result = parseLogDirs('relative,/etc,/app:bogus=1');
    expect(result.ok ? 0 : result.problems.length).toBe(3);
  });

  it('formats an entry the way it reads it back', () => {
    const text = formatEntry('/var/logward/logs-2', [
      ['app-dir', '/app/gc'],
      ['size-limit', '256Mi'],
    ]);
    expect(text).toBe('/var/logward/logs-2:app-dir=/app/gc;size-limit=256Mi');
    expect(splitEntry(text)).toEqual({
      ok: true,
      entry: {
        path: '/var/logward/logs-2',
        pairs: [
          ['app-dir', '/app/gc'],
          ['size-limit', '256Mi'],
        ],
      },
    });
  });
});

describe('parseDirectories', () => {
  it('keeps log-dir as one directory', () => {
    const result = parseDirectories({ [KEYS.logDir]: '/log' });
    expect(result.ok && result.directories.map((d) => d.policy.logDir)).toEqual(['/log']);
    expect(result.ok && result.several).toBe(false);
  });

  it('gives each directory of log-dirs its own policy, overrides over annotations over defaults', () => {
    const result = parseDirectories(
      {
        [KEYS.logDirs]: '/var/log/nginx,/app/gc:size-limit=256Mi;max-age=1d',
        [KEYS.maxAge]: '3d',
        [KEYS.sizeLimit]: '2Gi',
      },
      { [KEYS.maxFiles]: '4', [KEYS.logDir]: '/ignored' },
    );
    if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('; '));
    expect(result.several).toBe(true);
    const [nginx, gc] = result.directories.map((d) => d.policy);
    expect(nginx).toMatchObject({
      logDir: '/var/log/nginx',
      sizeLimit: '2Gi',
      maxAgeMs: 3 * 86_400_000,
      maxFiles: 4,
    });
    expect(nginx!.maxTotalBytes).toBe(Math.floor(2 * 1024 * MI * 0.8));
    expect(gc).toMatchObject({ logDir: '/app/gc', sizeLimit: '256Mi', maxAgeMs: 86_400_000, maxFiles: 4 });
    expect(gc!.maxTotalBytes).toBe(Math.floor(256 * MI * 0.8));
    expect(result.directories[1]!.overrides).toEqual({ [KEYS.sizeLimit]: '256Mi', [KEYS.maxAge]: '1d' });
  });

  it('refuses log-dir and log-dirs together, naming both keys', () => {
    const result = parseDirectories({ [KEYS.logDir]: '/log', [KEYS.logDirs]: '/a,/b' });
    expect(problemsOf(result)).toEqual([
      `${KEYS.logDir} and ${KEYS.logDirs} are both set; use ${KEYS.logDir} for one directory or ${KEYS.logDirs} for several, not both`,
    ]);
    expect(result.ok ? undefined : result.problems[0]).toMatchObject({
      key: KEYS.logDirs,
      with: KEYS.logDir,
    });
  });

  it('names the directory whose override is refused, and checks its budget against its own size limit', () => {
    const result = parseDirectories({
      [KEYS.logDirs]: '/a,/b:max-age=soon,/c:size-limit=100Mi',
      [KEYS.maxTotalSize]: '500Mi',
    });
    const messages = problemsOf(result);
    expect(messages).toContain(
      `${KEYS.logDirs} entry "/b": ${KEYS.maxAge}: "soon" is not a duration; use e.g. 12h or 7d`,
    );
    expect(messages.join('\n')).toMatch(
      /entry "\/c": logward\.io\/max-total-size: "500Mi" is above logward\.io\/size-limit: "100Mi"/,
    );
    // /a has no problem of its own, and /c's other one (above the hard limit) names /c too.
    expect(messages.filter((m) => !/^logward\.io\/log-dirs entry "\/[bc]": /.test(m))).toEqual([]);
  });

  it('blames the entry for a refused override, and names the shared key a budget problem meets', () => {
    const result = parseDirectories({
      [KEYS.logDirs]: '/b:max-age=soon,/c:size-limit=100Mi',
      [KEYS.maxTotalSize]: '500Mi',
    });
    if (result.ok) throw new Error('expected problems');
    const [ownValue, ...againstLimit] = result.problems;
    expect(ownValue).toMatchObject({ key: KEYS.logDirs, value: '/b:max-age=soon,/c:size-limit=100Mi' });
    expect(ownValue!.with).toBeUndefined();
    for (const problem of againstLimit)
      expect(problem).toMatchObject({ key: KEYS.logDirs, with: KEYS.maxTotalSize });
  });

  it('says a problem of a shared key once, not once per directory', () => {
    const result = parseDirectories({ [KEYS.logDirs]: '/a,/b,/c', [KEYS.maxFiles]: 'many' });
    expect(problemsOf(result)).toEqual([
      `${KEYS.maxFiles}: "many" is not a whole number; use e.g. 10 (0 keeps no rotated files)`,
    ]);
  });
});
