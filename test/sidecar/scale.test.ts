// A directory of 100,000 files, planned by the sidecar under the heap limit its image runs with.
// Time is measured by bench/scale.ts, not asserted here; this test asserts that the plan is
// made at all, and made right, within the memory the sidecar has in a pod.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../sidecar/testing/tmpdir.ts';

const LOGWARD = new URL('../../cli/logward.ts', import.meta.url).pathname;
/** The heap flags of the sidecar image's ENTRYPOINT (Dockerfile.sidecar). */
const IMAGE_HEAP = ['--max-old-space-size=48', '--max-semi-space-size=1'];
const DAY = 86_400_000;
const FILES = 100_000;
const temp = makeTempDir();
// Removing 100,000 files takes a while on a busy disk.
afterAll(() => temp.remove(), 300_000);

/**
 * Half the files one long stream (`app.<day>.<n>.log`, logback's size-and-time pattern), half
 * unique names (`job-<n>.log`), one byte each, ages spread over twenty days.
 */
function populate(dir: string): void {
  const now = Date.now();
  for (let i = 0; i < FILES; i++) {
    const ageMs = Math.floor((i / FILES) * 20 * DAY);
    const day = new Date(now - ageMs).toISOString().slice(0, 10);
    const name = i % 2 === 0 ? `app.${day}.${i}.log` : `job-${i.toString(16)}.log`;
    const path = join(dir, name);
    const fd = openSync(path, 'w');
    writeSync(fd, 'x');
    closeSync(fd);
    const mtime = new Date(now - ageMs);
    utimesSync(path, mtime, mtime);
  }
}

/** What the sidecar should plan for `populate`'s files: every file past max-age (7 of the 20
 * days) goes; of the younger ones in the long stream, max-files (10) are compressed and the rest
 * go; younger unique names are live and stay. */
function expectedActions(): number {
  const maxAge = 7 * DAY;
  let old = 0;
  let youngInStream = 0;
  for (let i = 0; i < FILES; i++) {
    const ageMs = Math.floor((i / FILES) * 20 * DAY);
    if (ageMs > maxAge) old++;
    else if (i % 2 === 0) youngInStream++;
  }
  return old + youngInStream;
}

describe('scale', () => {
  it('plans a directory of 100,000 files within the image heap, in batches', {
    timeout: 600_000,
  }, async () => {
    const dir = join(temp.dir, 'many');
    mkdirSync(dir);
    populate(dir);
    const child = spawn(
      process.execPath,
      [...IMAGE_HEAP, LOGWARD, 'sidecar', '--dir', dir, '--dry-run', '--size-limit', '1Gi'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const counts = new Map<string, number>();
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const action = JSON.parse(line) as { kind: string; reason?: string };
        const key = `${action.kind} ${action.reason ?? ''}`.trim();
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, stderr.slice(-2000)).toBe(0);
    // The first batch: the oldest history, past max-age.
    expect(Object.fromEntries(counts)).toEqual({ 'delete over_max_age': 20_000 });
    const batched = JSON.parse(stderr.split('\n').find((line) => line.includes('plan_batched'))!);
    // Files a few seconds from the max-age line may fall either side of it.
    expect(Math.abs(20_000 + batched.deferred - expectedActions())).toBeLessThan(50);
  });
});
