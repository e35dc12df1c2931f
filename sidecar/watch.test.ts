import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './testing/tmpdir.ts';
import { watchDirectory } from './watch.ts';

const temp = makeTempDir();
afterAll(() => temp.remove());

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const started = Date.now(); !condition(); ) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** A watch with a 1 MiB high-water mark and a 2 MiB hard limit, and the reasons it triggered. */
function watchFor(dir: string, isManagedLog: (name: string) => boolean, maxFileBytes: number) {
  const reasons: string[] = [];
  const watch = watchDirectory(dir, {
    isManagedLog,
    thresholds: () => ({ maxFileBytes, highWaterBytes: 1024 * 1024, hardLimitBytes: 2 * 1024 * 1024 }),
    trigger: (reason) => reasons.push(reason),
    onError: (error) => {
      throw error;
    },
  });
  return { reasons, watch };
}

describe('watchDirectory', () => {
  it('triggers on a log crossing max-file-size, never on a growing file that is not a log, and counts subdirectories', async () => {
    const dir = join(temp.dir, 'watched');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    const { reasons, watch } = watchFor(
      dir,
      (name) => name.endsWith('.log') && !name.includes('/'),
      64 * 1024,
    );
    try {
      await watch.ready;
      // As after a pass: the scan found the subdirectory.
      watch.rebase([], { usage: 0, directories: ['sub'] });
      appendFileSync(join(dir, 'app.db'), Buffer.alloc(200 * 1024, 'd'));
      appendFileSync(join(dir, 'sub', 'inner.log'), Buffer.alloc(200 * 1024, 's'));
      await sleep(500);
      expect(reasons).toEqual([]);
      appendFileSync(join(dir, 'app.log'), Buffer.alloc(100 * 1024, 'a'));
      await until(() => reasons.includes('over_max_file_size'));
      // Usage counts every file, in subdirectories too: 1.3 MiB passes the 1 MiB high-water mark.
      appendFileSync(join(dir, 'sub', 'inner.log'), Buffer.alloc(800 * 1024, 's'));
      await until(() => reasons.includes('over_budget'));
    } finally {
      await watch.stop();
    }
  });
});

describe('watchDirectory and names', () => {
  it('follows a file whose name is not UTF-8, and a subdirectory created after it started', async () => {
    const dir = join(temp.dir, 'bytes');
    mkdirSync(dir);
    const { reasons, watch } = watchFor(dir, () => true, 64 * 1024);
    try {
      const latin1 = Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from('.log')]);
      appendFileSync(latin1, Buffer.alloc(100 * 1024, 'a'));
      await until(() => reasons.includes('over_max_file_size'));
      mkdirSync(join(dir, 'later'));
      await sleep(200);
      appendFileSync(join(dir, 'later', 'big.log'), Buffer.alloc(1200 * 1024, 'b'));
      await until(() => reasons.includes('over_budget'));
    } finally {
      await watch.stop();
    }
  });
});

describe('watchDirectory after stop', () => {
  it('stays stopped when a pass that was running rebases it (no watch keeps the process alive)', async () => {
    const dir = join(temp.dir, 'stopped');
    mkdirSync(dir);
    const { reasons, watch } = watchFor(dir, () => true, 1024);
    await watch.stop();
    watch.rebase([], { usage: 0, directories: [] });
    appendFileSync(join(dir, 'app.log'), Buffer.alloc(100 * 1024, 'a'));
    await sleep(300);
    expect(reasons).toEqual([]);
  });
});
