import { describe, expect, it } from 'vitest';
import { compileGlobs } from './globs.ts';
import { BUILTIN_DEFAULTS, KEYS } from './keys.ts';

const defaults = compileGlobs(BUILTIN_DEFAULTS[KEYS.include]!.split(','));
const excluded = compileGlobs(BUILTIN_DEFAULTS[KEYS.exclude]!.split(','));
const isLog = (name: string) => defaults(name) && !excluded(name);

describe('the default include and exclude', () => {
  it.each([
    'app.log',
    'going.2021-01-04.log',
    'going.2021-01-10.log.full.1.log',
    'app.log.1',
    'app.log.1.gz',
    'app.log.2021-01-04',
    'app.2021-01-04.0.log.gz',
    'app.2021-01-04T10-30-00-123Z.log.gz',
    'server.out',
    'server.err',
    'server.out.2021-01-04T10-30-00-123Z.gz',
    '2021-01-04.log',
    'worker/app.log',
  ])('%s is a log', (name) => expect(isLog(name)).toBe(true));

  it.each([
    'app.db',
    'app.db-wal',
    'app.pid',
    'app.lock',
    'cache.2024-01-01.bin',
    'java0.log.lck',
    'app.log.lock',
    'access_log',
    'notes.txt',
  ])('%s is not', (name) => expect(isLog(name)).toBe(false));
});

describe('compileGlobs', () => {
  it.each<[string, string, boolean]>([
    ['*.log', 'a/b/c.log', true],
    ['logs/*.log', 'logs/a.log', true],
    ['logs/*.log', 'logs/x/a.log', false],
    ['logs/**/*.log', 'logs/a.log', true],
    ['logs/**/*.log', 'logs/x/y/a.log', true],
    ['debug/**', 'debug/a/b', true],
    ['app-?.log', 'app-1.log', true],
    ['app-?.log', 'app-12.log', false],
    ['app-[0-9].log', 'app-7.log', true],
    ['app-[!0-9].log', 'app-x.log', true],
    ['app-[!0-9].log', 'app-7.log', false],
    ['a+b(1).log', 'a+b(1).log', true],
  ])('%s against %s: %s', (pattern, name, expected) => expect(compileGlobs([pattern])(name)).toBe(expected));
});
