// The motivating incident: an app writing `going.YYYY-MM-DD.log` per day plus `.full.N.log`
// spills and a `stat.log`, nothing ever compressed or deleted, until the node's disk filled.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { Io } from '../../base/io.ts';
import { sidecarCommand } from '../../sidecar/command.ts';
import { decompress } from '../../sidecar/testing/streams.ts';
import { makeTempDir } from '../../sidecar/testing/tmpdir.ts';

const DAY = 86_400_000;
const temp = makeTempDir();
afterAll(() => temp.remove());

function fakeIo() {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: new PassThrough(),
    env: {},
    stopSignal: new Promise(() => {}),
  };
  return {
    io,
    out: () => stdout,
    logs: () =>
      stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

/** `YYYY-MM-DD` of `daysAgo` days before `now`. */
function day(now: number, daysAgo: number): string {
  return new Date(now - daysAgo * DAY).toISOString().slice(0, 10);
}

interface Fixture {
  dir: string;
  contents: Map<string, Buffer>;
  mtimes: Map<string, number>;
}

/**
 * Nine past days of `going`, a spill of yesterday's, today's live file and a live stat.log.
 * `random` lines compress poorly, so a byte budget bites after compression too.
 */
function incident(name: string, random = false): Fixture {
  const dir = join(temp.dir, name);
  mkdirSync(dir);
  const now = Date.now();
  const fixture: Fixture = { dir, contents: new Map(), mtimes: new Map() };
  const add = (file: string, lines: number, mtime: number) => {
    const body = Array.from(
      { length: lines },
      (_, i) => `${file} ${i} ${random ? randomBytes(24).toString('hex') : 'GET /api/orders 200 12ms'}\n`,
    ).join('');
    writeFileSync(join(dir, file), body);
    utimesSync(join(dir, file), new Date(mtime), new Date(mtime));
    fixture.contents.set(file, Buffer.from(body));
    fixture.mtimes.set(file, statSync(join(dir, file)).mtimeMs);
  };
  for (let ago = 9; ago >= 1; ago--) add(`going.${day(now, ago)}.log`, 4000, now - ago * DAY + 3600_000);
  add(`going.${day(now, 1)}.log.full.1.log`, 2000, now - DAY);
  add(`going.${day(now, 0)}.log`, 500, now - 1000);
  add('stat.log', 300, now - 500);
  return fixture;
}

describe('the incident directory', () => {
  it('--dry-run prints the plan as JSON lines and changes nothing', async () => {
    const f = incident('dry');
    const before = readdirSync(f.dir).sort();
    const { io, out } = fakeIo();
    expect(await sidecarCommand(['--dir', f.dir, '--dry-run', '--max-files', '5'], io)).toBe(0);
    const plan = out()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const now = Date.now();
    expect(plan.filter((a) => a.kind === 'delete').map((a) => [a.file, a.reason])).toEqual([
      [`going.${day(now, 8)}.log`, 'over_max_age'],
      [`going.${day(now, 9)}.log`, 'over_max_age'],
      [`going.${day(now, 5)}.log`, 'over_max_files'],
      [`going.${day(now, 6)}.log`, 'over_max_files'],
      [`going.${day(now, 7)}.log`, 'over_max_files'],
    ]);
    expect(plan.filter((a) => a.kind === 'compress')).toHaveLength(5);
    expect(readdirSync(f.dir).sort()).toEqual(before);
  });

  it('--once compresses past days (verified by decompression), leaves live files alone, and applies age then count', async () => {
    const f = incident('once');
    const now = Date.now();
    const { io, logs } = fakeIo();
    expect(await sidecarCommand(['--dir', f.dir, '--once', '--max-files', '5'], io)).toBe(0);

    const live = [`going.${day(now, 0)}.log`, 'stat.log'];
    const kept = [
      `going.${day(now, 1)}.log`,
      `going.${day(now, 1)}.log.full.1.log`,
      ...[2, 3, 4].map((a) => `going.${day(now, a)}.log`),
    ];
    // Days past max-age are unlinked; days past max-files (younger) and the archived ones are
    // emptied in place: a writer still holding one finds its next line in the directory.
    const emptied = [...kept, ...[5, 6, 7].map((a) => `going.${day(now, a)}.log`)];
    expect(readdirSync(f.dir).sort()).toEqual([...live, ...emptied, ...kept.map((k) => `${k}.gz`)].sort());
    for (const file of emptied) expect(statSync(join(f.dir, file)).size, file).toBe(0);
    for (const file of kept) {
      expect(decompress(join(f.dir, `${file}.gz`)).equals(f.contents.get(file)!), file).toBe(true);
      expect(statSync(join(f.dir, `${file}.gz`)).mtimeMs).toBe(f.mtimes.get(file));
    }
    for (const file of live) {
      expect(readFileSync(join(f.dir, file)).equals(f.contents.get(file)!), file).toBe(true);
      expect(statSync(join(f.dir, file)).mtimeMs).toBe(f.mtimes.get(file));
    }
    const deleted = logs().filter((l) => l.msg === 'deleted');
    expect(deleted.map((l) => l.reason)).toEqual([
      'over_max_age',
      'over_max_age',
      'over_max_files',
      'over_max_files',
      'over_max_files',
    ]);
  });

  it('trims to the byte budget oldest first once compression has shrunk what it can', async () => {
    const f = incident('budget', true);
    const now = Date.now();
    const { io, logs } = fakeIo();
    // Each day compresses to roughly 200Ki: a 1Mi budget keeps the newest few days only.
    expect(
      await sidecarCommand(['--dir', f.dir, '--once', '--size-limit', '2Mi', '--max-total-size', '1Mi'], io),
    ).toBe(0);
    const left = readdirSync(f.dir);
    const usage = left.reduce((sum, name) => sum + statSync(join(f.dir, name)).blocks * 512, 0);
    expect(usage).toBeLessThanOrEqual(2 ** 20);
    const days = left.filter((n) => n.endsWith('.gz')).map((n) => n.slice(6, 16));
    const newest = [...new Set(days)].sort().reverse();
    // Whatever survived is the newest contiguous run of days: nothing newer was deleted first.
    const all = Array.from({ length: 7 }, (_, i) => day(now, i + 1));
    expect(newest).toEqual(all.slice(0, newest.length));
    expect(newest.length).toBeGreaterThanOrEqual(2);
    expect(newest.length).toBeLessThan(7);
    expect(logs().some((l) => l.msg === 'deleted' && l.reason === 'over_max_total_size')).toBe(true);
  });
});
