// Whole passes against real directories, with faults injected at the filesystem seam where the
// fault is a race or a full disk.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KEYS } from '../contract/keys.ts';
import { type Policy, parsePolicy } from '../contract/policy.ts';
import type { ActionResult } from './execute.ts';
import { realFs, type SidecarFs } from './fs.ts';
import { sweep } from './sweep.ts';
import { decompress } from './testing/streams.ts';
import { makeTempDir } from './testing/tmpdir.ts';

const temp = makeTempDir();
afterAll(() => temp.remove());
const DAY = 86_400_000;
let count = 0;

function policyFor(dir: string, annotations: Record<string, string> = {}): Policy {
  const result = parsePolicy({ [KEYS.logDir]: dir, ...annotations });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.policy;
}

function directory(files: Record<string, [string | Buffer, number]>): string {
  const dir = join(temp.dir, `sweep-${++count}`);
  mkdirSync(dir);
  for (const [name, [content, ageMs]] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
    const mtime = new Date(Date.now() - ageMs);
    utimesSync(join(dir, name), mtime, mtime);
  }
  return dir;
}

const lines = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag} ${i}\n`).join('');

/** A volume that is full: every write to one of our temporary files fails with ENOSPC. */
const fullVolume: SidecarFs = {
  ...realFs,
  open: async (path, flags, mode) => {
    const handle = await realFs.open(path, flags, mode);
    if (String(path).endsWith('.logward-tmp')) {
      handle.write = (async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }) as FileHandle['write'];
    }
    return handle;
  },
};

describe('sweep on a full volume', () => {
  it('frees space by retention, oldest first, when compression hits ENOSPC far below the budget', async () => {
    const dir = directory({
      'app.log.3.gz': [lines('third', 2000), 3 * DAY],
      'app.log.2.gz': [lines('second', 2000), 2 * DAY],
      'app.log.1': [lines('first', 2000), DAY],
      'app.log': [lines('live', 10), 0],
    });
    const results: ActionResult[] = [];
    await sweep({
      context: { fs: fullVolume, dir, compressLevel: 1, refused: new Set() },
      policy: policyFor(dir),
      now: Date.now,
      onResults: (round) => results.push(...round),
    });
    const deleted = results.filter((r) => r.ok && r.action.kind === 'delete').map((r) => r.action.file);
    expect(deleted[0]).toBe('app.log.3.gz');
    expect(existsSync(join(dir, 'app.log.3.gz'))).toBe(false);
    expect(readFileSync(join(dir, 'app.log'), 'utf8')).toBe(lines('live', 10));
  });

  it('falls back to the last resort when only a live file is left and its cap hits ENOSPC', async () => {
    const dir = directory({ 'app.log': [lines('live', 200_000), 0] });
    const before = statSync(join(dir, 'app.log')).size;
    const results: ActionResult[] = [];
    await sweep({
      context: { fs: fullVolume, dir, compressLevel: 1, refused: new Set() },
      policy: policyFor(dir, { [KEYS.sizeLimit]: '1Gi', [KEYS.maxFileSize]: '1Mi' }),
      now: Date.now,
      onResults: (round) => results.push(...round),
    });
    const lastResort = results.filter(
      (r) => r.ok && r.action.kind === 'cap' && r.action.reason === 'over_hard_limit',
    );
    expect(lastResort.length).toBeGreaterThan(0);
    expect(statSync(join(dir, 'app.log')).size).toBeLessThan(before);
  });
});

describe('sweep confinement', () => {
  it('never acts outside the directory when a subdirectory is swapped for a symlink mid-pass', async () => {
    const outside = directory({ 'app.log': [lines('outside', 100_000), 0] });
    const outsideBefore = readFileSync(join(outside, 'app.log'));
    const dir = directory({ 'sub/app.log': [lines('inside', 100_000), 0] });
    let swapped = false;
    const fs: SidecarFs = {
      ...realFs,
      open: async (path, flags, mode) => {
        // The moment the pass first reaches into sub/, the app swaps it for a symlink out.
        if (!swapped && String(path).includes('sub')) {
          swapped = true;
          renameSync(join(dir, 'sub'), join(dir, 'sub-real'));
          symlinkSync(outside, join(dir, 'sub'));
        }
        return realFs.open(path, flags, mode);
      },
    };
    await sweep({
      context: { fs, dir, compressLevel: 1, refused: new Set() },
      policy: policyFor(dir, { [KEYS.recursive]: 'true', [KEYS.maxFileSize]: '64Ki' }),
      now: Date.now,
    });
    expect(swapped).toBe(true);
    expect(readdirSync(outside)).toEqual(['app.log']);
    expect(readFileSync(join(outside, 'app.log')).equals(outsideBefore)).toBe(true);
  });
});

describe('sweep and holes', () => {
  it('archives a closed sparse file without its hole', async () => {
    const dir = directory({ 'app.log': [lines('live', 10), 0] });
    // 8 MiB of hole, then the lines: what a writer without O_APPEND leaves after a truncate.
    const sparse = join(dir, 'app.2021-01-01.log');
    const fd = openSync(sparse, 'w');
    writeSync(fd, lines('closed', 100), 8 * 2 ** 20);
    closeSync(fd);
    const old = new Date(Date.now() - DAY);
    utimesSync(sparse, old, old);
    await sweep({
      context: { fs: realFs, dir, compressLevel: 1, refused: new Set() },
      policy: policyFor(dir),
      now: Date.now,
    });
    const archive = readdirSync(dir).find(
      (name) => name.startsWith('app.2021-01-01.log') && name.endsWith('.gz'),
    );
    expect(archive).toBeDefined();
    expect(decompress(join(dir, archive!)).toString()).toBe(lines('closed', 100));
  });
});
