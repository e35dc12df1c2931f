import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ExecuteContext, execute } from './execute.ts';
import { realFs, type SidecarFs } from './fs.ts';
import { scan } from './scan.ts';
import { decompress } from './testing/streams.ts';
import { makeTempDir } from './testing/tmpdir.ts';
import type { Action } from './types.ts';

const temp = makeTempDir();
afterAll(() => temp.remove());
let count = 0;

/** A fresh directory holding `files` (name -> content), each with an mtime a day back. */
function directory(files: Record<string, string>): string {
  const dir = join(temp.dir, `case-${++count}`);
  mkdirSync(dir);
  const day = new Date(Date.UTC(2021, 0, 4, 23, 59, 59));
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), content);
    utimesSync(join(dir, name), day, day);
  }
  return dir;
}

function context(dir: string, fs: SidecarFs = realFs): ExecuteContext {
  return { fs, dir, compressLevel: 6, refused: new Set() };
}

const compress = (file: string, compression: 'gzip' | 'zstd' = 'gzip'): Action => ({
  kind: 'compress',
  file,
  target: `${file}${compression === 'gzip' ? '.gz' : '.zst'}`,
  compression,
  reason: 'closed',
});

const LINES = Array.from({ length: 2000 }, (_, i) => `2021-01-04 request ${i} served\n`).join('');

describe('execute', () => {
  it.each(['gzip', 'zstd'] as const)(
    'compresses a closed file with %s, keeps its mtime and removes the source',
    async (c) => {
      const dir = directory({ 'going.2021-01-04.log': LINES });
      const mtime = statSync(join(dir, 'going.2021-01-04.log')).mtimeMs;
      const [result] = await execute([compress('going.2021-01-04.log', c)], context(dir));
      expect(result).toMatchObject({
        ok: true,
        outcome: { kind: 'compressed', source: 'emptied', bytesIn: LINES.length },
      });
      const target = `going.2021-01-04.log${c === 'gzip' ? '.gz' : '.zst'}`;
      expect(readdirSync(dir).sort()).toEqual(['going.2021-01-04.log', target]);
      expect(decompress(join(dir, target)).toString()).toBe(LINES);
      expect(statSync(join(dir, target)).mtimeMs).toBe(mtime);
      // Emptied in place, not unlinked, and still as old as it was: not the newest of its stream.
      expect(statSync(join(dir, 'going.2021-01-04.log'))).toMatchObject({ size: 0, mtimeMs: mtime });
    },
  );

  it('keeps the source and leaves no temporary file on ENOSPC, and goes on with the next action', async () => {
    const dir = directory({ 'a.log': LINES, 'old.log.gz': 'x' });
    const fs: SidecarFs = {
      ...realFs,
      open: async (path, flags, mode) => {
        const handle = await realFs.open(path, flags, mode);
        if (path.endsWith('.logward-tmp')) {
          handle.write = (async () => {
            throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
          }) as FileHandle['write'];
        }
        return handle;
      },
    };
    const ino = statSync(join(dir, 'old.log.gz')).ino;
    const results = await execute(
      [compress('a.log'), { kind: 'delete', file: 'old.log.gz', bytes: 1, reason: 'over_max_age', ino }],
      context(dir, fs),
    );
    expect(results.map((r) => r.ok)).toEqual([false, true]);
    expect(results[0]).toMatchObject({ code: 'ENOSPC' });
    expect(!results[0]!.ok && results[0]!.error.message).toBe(
      'failed to compress "a.log": ENOSPC (no space)',
    );
    expect(readdirSync(dir)).toEqual(['a.log']);
    expect(readFileSync(join(dir, 'a.log'), 'utf8')).toBe(LINES);
  });

  it('reports an unreadable file by name and cause, and still handles the others', async () => {
    const dir = directory({ 'secret.log': LINES, 'b.log': LINES });
    const fs: SidecarFs = {
      ...realFs,
      open: async (path, flags, mode) => {
        if (path.endsWith('/secret.log'))
          throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        return realFs.open(path, flags, mode);
      },
    };
    const results = await execute([compress('secret.log'), compress('b.log')], context(dir, fs));
    expect(results.map((r) => (r.ok ? 'ok' : r.error.message))).toEqual([
      'failed to compress "secret.log": EACCES',
      'ok',
    ]);
    expect(readdirSync(dir).sort()).toEqual(['b.log', 'b.log.gz', 'secret.log']);
    expect(readFileSync(join(dir, 'b.log'), 'utf8')).toBe('');
  });

  it('keeps the complete compressed copy of a file deleted while it was being compressed', async () => {
    const dir = directory({ 'gone.log': LINES });
    let unlinked = false;
    const fs: SidecarFs = {
      ...realFs,
      utimes: async (path, atime, mtime) => {
        // The app removes its file after we read it, before we publish the .gz.
        if (!unlinked) {
          unlinked = true;
          await realFs.unlink(join(dir, 'gone.log'));
        }
        return realFs.utimes(path, atime, mtime);
      },
    };
    const [result] = await execute([compress('gone.log')], context(dir, fs));
    expect(result).toMatchObject({ ok: true, outcome: { source: 'vanished' } });
    expect(readdirSync(dir)).toEqual(['gone.log.gz']);
    expect(decompress(join(dir, 'gone.log.gz')).toString()).toBe(LINES);
  });

  it('leaves a file that was written to while being compressed, and drops the stale copy', async () => {
    const dir = directory({ 'busy.log': LINES });
    const fs: SidecarFs = {
      ...realFs,
      link: async (from, to) => {
        writeFileSync(join(dir, 'busy.log'), 'one more line\n', { flag: 'a' });
        return realFs.link(from, to);
      },
    };
    const [result] = await execute([compress('busy.log')], context(dir, fs));
    expect(result).toMatchObject({ ok: false, code: 'ECHANGED' });
    expect(readdirSync(dir)).toEqual(['busy.log']);
    expect(readFileSync(join(dir, 'busy.log'), 'utf8')).toBe(`${LINES}one more line\n`);
  });

  it('caps a file the writer outpaced at the fastest gzip level, and others at the configured one', async () => {
    const cap = (file: string, catchUp: boolean): Action => ({
      kind: 'cap',
      file,
      keepBytes: 0,
      rotated: `${file}.rotated.gz`,
      compression: 'gzip',
      reason: 'over_max_file_size',
      ...(catchUp ? { catchUp: true as const } : {}),
    });
    const dir = directory({ 'behind.log': LINES.repeat(20), 'on-time.log': LINES.repeat(20) });
    const results = await execute([cap('behind.log', true), cap('on-time.log', false)], context(dir));
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    // The gzip header's XFL byte: 4 when zlib used its fastest level, 0 at the default level 6.
    expect(readFileSync(join(dir, 'behind.log.rotated.gz'))[8]).toBe(4);
    expect(readFileSync(join(dir, 'on-time.log.rotated.gz'))[8]).toBe(0);
  });

  it('treats a file already gone as removed, and removes leftovers', async () => {
    const dir = directory({ '.a.log.gz.logward-tmp': 'partial' });
    const results = await execute(
      [
        { kind: 'remove-leftover', file: '.a.log.gz.logward-tmp', bytes: 4096 },
        { kind: 'delete', file: 'never-there.log.gz', bytes: 0, reason: 'over_max_files', ino: 1 },
      ],
      context(dir),
    );
    expect(results.map((r) => r.ok && r.outcome)).toEqual([
      { kind: 'removed', vanished: false },
      { kind: 'removed', vanished: true },
    ]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('skips every action once shut down', async () => {
    const dir = directory({ 'a.log': LINES });
    const controller = new AbortController();
    controller.abort();
    const [result] = await execute([compress('a.log')], { ...context(dir), signal: controller.signal });
    expect(result).toMatchObject({ ok: false, code: 'ABORTED' });
    expect(readdirSync(dir)).toEqual(['a.log']);
  });
});

describe('scan', () => {
  it('sees regular files only: symlinks, FIFOs and directories are left alone', async () => {
    const outside = directory({ 'precious.log': LINES });
    const dir = directory({ 'app.log': 'a\n' });
    symlinkSync(join(outside, 'precious.log'), join(dir, 'link.log'));
    execFileSync('mkfifo', [join(dir, 'pipe.log')]);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'inner.log'), 'b\n');
    symlinkSync(outside, join(dir, 'sub', 'escape'));

    // Without recursive, files in subdirectories are listed too (kubelet counts them), and the
    // planner leaves them alone; symlinks are never followed either way.
    const flat = await scan(dir, { recursive: false }, realFs);
    expect(flat.files.map((f) => f.name)).toEqual(['app.log', 'sub/inner.log']);
    expect(flat.skipped.sort((a, b) => (a.name < b.name ? -1 : 1))).toEqual([
      { name: 'link.log', why: 'symlink' },
      { name: 'pipe.log', why: 'fifo' },
      { name: 'sub', why: 'directory' },
      { name: 'sub/escape', why: 'symlink' },
    ]);
    // The subdirectory's own blocks count, as du counts them.
    expect(flat.otherBytes).toBeGreaterThanOrEqual(4096);
    const deep = await scan(dir, { recursive: true }, realFs);
    expect(deep.files.map((f) => f.name)).toEqual(['app.log', 'sub/inner.log']);
    expect(deep.skipped.map((s) => s.name).sort()).toEqual(['link.log', 'pipe.log', 'sub/escape']);
    expect(deep.files[0]).toMatchObject({ size: 2, allocatedBytes: 4096, links: 1 });
    expect(existsSync(join(outside, 'precious.log'))).toBe(true);
  });
});
