// Which files the sidecar may act on: logs it was asked to manage, and nothing else. An app that
// keeps its database, pid or lock file next to its logs must find them byte for byte as it left
// them, however far over its caps and budget they are; their bytes still count, as kubelet
// counts them.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { printedPlan, runSidecar } from '../../sidecar/testing/run-in-process.ts';
import { makeTempDir } from '../../sidecar/testing/tmpdir.ts';

const DAY = 86_400_000;
const MI = 2 ** 20;
const temp = makeTempDir();
afterAll(() => temp.remove());
let count = 0;

/** A fresh directory with `files` (name -> content, age in days). */
function directory(files: Record<string, [Buffer | string, number]>): string {
  const dir = join(temp.dir, `case-${++count}`);
  mkdirSync(dir);
  for (const [name, [content, days]] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
    const mtime = new Date(Date.now() - days * DAY);
    utimesSync(join(dir, name), mtime, mtime);
  }
  return dir;
}

function snapshot(dir: string, names: string[]): Map<string, { bytes: Buffer; mtimeMs: number }> {
  return new Map(
    names.map((name) => [
      name,
      { bytes: readFileSync(join(dir, name)), mtimeMs: statSync(join(dir, name)).mtimeMs },
    ]),
  );
}

const lines = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag} ${i}\n`).join('');

describe('ownership', () => {
  it('never caps, compresses or deletes a file that is not a log (database, pid, lock, .bin)', async () => {
    // A 3 MB SQLite-like database far over a 1Mi cap, and an old dated .bin that max-age
    // would have deleted were it a log.
    const database = Buffer.concat([Buffer.from('SQLite format 3\0'), randomBytes(3_000_000)]);
    const foreign = ['app.db', 'app.pid', 'app.lock', 'cache.2024-01-01.bin', 'cache.2024-01-02.bin'];
    const dir = directory({
      'app.db': [database, 0],
      'app.pid': ['4242\n', 30],
      'app.lock': ['', 30],
      'cache.2024-01-01.bin': [randomBytes(100_000), 30],
      'cache.2024-01-02.bin': [randomBytes(100_000), 29],
      'app.log': [lines('live', 10), 0],
    });
    const before = snapshot(dir, foreign);
    const run = await runSidecar(['--dir', dir, '--once', '--size-limit', '1Gi', '--max-file-size', '1Mi']);
    expect(run.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([...foreign, 'app.log'].sort());
    for (const [name, { bytes, mtimeMs }] of before) {
      expect(readFileSync(join(dir, name)).equals(bytes), name).toBe(true);
      expect(statSync(join(dir, name)).mtimeMs, name).toBe(mtimeMs);
    }
    expect(run.logs.filter((l) => ['capped', 'compressed', 'deleted'].includes(l.msg))).toEqual([]);
  });

  it('says so, and touches nothing, when files that are not logs alone exceed the budget', async () => {
    const database = randomBytes(4 * MI);
    const dir = directory({ 'app.db': [database, 0], 'app.log': [lines('live', 10), 0] });
    const run = await runSidecar(['--dir', dir, '--once', '--size-limit', '4Mi']);
    expect(readFileSync(join(dir, 'app.db')).equals(database)).toBe(true);
    expect(run.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'unmanaged_over_budget',
        unmanaged_bytes: expect.any(Number),
        budget: Math.floor(4 * MI * 0.8),
        largest: ['app.db'],
      }),
    );
  });

  it('leaves a log hard-linked to a file outside its directory alone, over its cap or not', async () => {
    const outside = directory({ 'precious.log': [lines('precious', 100_000), 0] });
    const dir = directory({});
    linkSync(join(outside, 'precious.log'), join(dir, 'app.log'));
    const before = readFileSync(join(outside, 'precious.log'));
    const run = await runSidecar(['--dir', dir, '--once', '--size-limit', '1Gi', '--max-file-size', '64Ki']);
    expect(run.code).toBe(0);
    expect(readFileSync(join(outside, 'precious.log')).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['app.log']);
    expect(run.logs).toContainEqual(
      expect.objectContaining({ msg: 'ignored', file: 'app.log', why: 'hard_linked' }),
    );
  });

  it('counts bytes in subdirectories without recursive, as kubelet does, against the budget', async () => {
    // 3 MiB under archive/ and 1 MiB of old rotated logs in a 4Mi volume: only counting the
    // subdirectory brings usage over the 3.2Mi budget, so the rotated log must go.
    const dir = directory({
      'archive/old.log': [randomBytes(3 * MI), 1],
      'app.log.1.gz': [randomBytes(MI), 2],
      'app.log': [lines('live', 10), 0],
    });
    const run = await runSidecar(['--dir', dir, '--dry-run', '--size-limit', '4Mi']);
    expect(run.code).toBe(0);
    expect(printedPlan(run)).toEqual([
      expect.objectContaining({ kind: 'delete', file: 'app.log.1.gz', reason: 'over_max_total_size' }),
    ]);
  });

  it('sees a file whose name is not valid UTF-8, counts its bytes and acts on it by its exact name', async () => {
    const dir = directory({ 'app.log.1.gz': [randomBytes(MI), 1], 'app.log': [lines('live', 10), 0] });
    // `caf\xe9.log.1.gz`: Latin-1, as an old app might write it; the oldest history here.
    const latin1 = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from('.log.1.gz')]);
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), latin1]), randomBytes(3 * MI));
    const old = new Date(Date.now() - 2 * DAY);
    utimesSync(Buffer.concat([Buffer.from(`${dir}/`), latin1]), old, old);
    const run = await runSidecar(['--dir', dir, '--once', '--size-limit', '4Mi']);
    expect(run.code).toBe(0);
    expect(run.logs).toContainEqual(
      expect.objectContaining({ msg: 'deleted', file: 'caf\udce9.log.1.gz', reason: 'over_max_total_size' }),
    );
    const left = readdirSync(dir, { encoding: 'buffer' }).map((name) => name.toString('latin1'));
    expect(left.sort()).toEqual(['app.log', 'app.log.1.gz']);
  });

  it('refuses a size without a unit below 1Mi, naming the flag and the form', async () => {
    const dir = directory({ 'app.log': [lines('live', 10), 0] });
    await expect(runSidecar(['--dir', dir, '--once', '--size-limit', '2'])).rejects.toThrow(
      '--size-limit: "2" has no unit and is under 1Mi; write the unit, e.g. 2Gi or 512Mi',
    );
    expect(readFileSync(join(dir, 'app.log'), 'utf8')).toBe(lines('live', 10));
  });
});
