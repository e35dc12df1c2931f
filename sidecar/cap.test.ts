import { spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CapAction, type CapOutcome, capFile, type FallocateMethod } from './cap.ts';
import { realFs, type SidecarFs } from './fs.ts';
import { rotatedName } from './names.ts';
import { lineNumbers, readParts, sequenceProblems, stripNuls } from './testing/streams.ts';
import { makeTempDir, mountTmpfs } from './testing/tmpdir.ts';

const WRITER = new URL('./testing/line-writer.ts', import.meta.url).pathname;
let clock = Date.UTC(2021, 0, 11);

function capAction(file: string, overrides: Partial<CapAction> = {}): CapAction {
  clock += 1;
  return {
    kind: 'cap',
    file,
    keepBytes: 0,
    rotated: `${rotatedName(file, clock)}.gz`,
    compression: 'gzip',
    reason: 'over_max_file_size',
    ...overrides,
  };
}

/**
 * A writer for `seconds`; with `paced`, 160,000 lines (10 MB) at 4 MiB/s instead, so that the
 * number of caps depends on the volume written, not on how busy the machine is.
 */
function startWriter(file: string, mode: 'append' | 'offset', seconds: number, paced = false) {
  const volume = paced ? ['--lines', '160000', '--rate', '4'] : [];
  const child = spawn(
    process.execPath,
    [WRITER, '--file', file, '--mode', mode, '--seconds', String(paced ? 60 : seconds), ...volume],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
  });
  const done = new Promise<number>((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve(Number(out.trim())) : reject(new Error(`writer exited ${code}`)),
    ),
  );
  return { done };
}

/** Caps `file` whenever its data passes `threshold` until the writer is done. */
async function capWhileWriting(
  dir: string,
  file: string,
  writer: { done: Promise<number> },
  threshold: number,
  refused: Set<FallocateMethod>,
): Promise<{ last: number; outcomes: CapOutcome[] }> {
  let finished = false;
  const last = writer.done.finally(() => {
    finished = true;
  });
  const outcomes: CapOutcome[] = [];
  while (!finished) {
    const stats = statSync(join(dir, file), { throwIfNoEntry: false });
    if (stats && Math.min(stats.size, stats.blocks * 512) > threshold) {
      outcomes.push(await capFile(capAction(file), { fs: realFs, dir, level: 1, refused }));
    } else {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  return { last: await last, outcomes };
}

describe('capFile', () => {
  const temp = makeTempDir();
  afterAll(() => temp.remove());

  it('moves the block-aligned head into a compressed rotated file and collapses it away', async () => {
    const dir = join(temp.dir, 'static');
    mkdirSync(dir);
    const content = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join(''));
    writeFileSync(join(dir, 'app.log'), content);
    const outcome = await capFile(capAction('app.log'), { fs: realFs, dir, level: 6, refused: new Set() });
    expect(outcome).toMatchObject({ method: 'collapse', sparse: false, bytesAtRisk: 0 });
    expect(outcome.removedBytes % 4096).toBe(0);
    expect(content.length - outcome.removedBytes).toBeLessThanOrEqual(4096);
    const parts = readParts(dir, 'app.log');
    expect(parts.map((p) => p.name)).toEqual([outcome.rotated[0], 'app.log']);
    expect(Buffer.concat(parts.map((p) => p.content)).equals(content)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.includes('logward-tmp'))).toEqual([]);
  });

  it('drops the head without a rotated file as the last resort, keeping about keepBytes', async () => {
    const dir = join(temp.dir, 'drop');
    mkdirSync(dir);
    writeFileSync(join(dir, 'app.log'), Buffer.alloc(100_000, 'a'));
    const outcome = await capFile(
      capAction('app.log', { rotated: undefined, keepBytes: 30_000, reason: 'over_hard_limit' }),
      {
        fs: realFs,
        dir,
        level: 6,
        refused: new Set(),
      },
    );
    expect(outcome.rotated).toEqual([]);
    const left = statSync(join(dir, 'app.log')).size;
    expect(left).toBeGreaterThanOrEqual(30_000);
    expect(left).toBeLessThan(30_000 + 4096);
    expect(readdirSync(dir)).toEqual(['app.log']);
  });

  it('loses no line of an O_APPEND writer across many caps', async () => {
    const dir = join(temp.dir, 'append');
    mkdirSync(dir);
    const writer = startWriter(join(dir, 'app.log'), 'append', 2, true);
    const { last, outcomes } = await capWhileWriting(dir, 'app.log', writer, 256 * 1024, new Set());
    expect(outcomes.length).toBeGreaterThanOrEqual(10);
    expect(new Set(outcomes.map((o) => o.method))).toEqual(new Set(['collapse']));
    const all = Buffer.concat(readParts(dir, 'app.log').map((p) => p.content)).toString('latin1');
    expect(sequenceProblems(lineNumbers(all), last)).toEqual([]);
  });

  it('loses no line of a writer without O_APPEND and writes no NULs into rotated files', async () => {
    const dir = join(temp.dir, 'offset');
    mkdirSync(dir);
    const writer = startWriter(join(dir, 'app.log'), 'offset', 2, true);
    const { last, outcomes } = await capWhileWriting(dir, 'app.log', writer, 256 * 1024, new Set());
    const seen = JSON.stringify(outcomes.map((o) => [o.method, o.sparse, o.removedBytes]));
    expect(outcomes.length, seen).toBeGreaterThanOrEqual(10);
    // The first cap collapses; the hole it leaves gives the writer away, later caps punch.
    expect(
      outcomes.some((o) => o.sparse && o.method === 'punch'),
      seen,
    ).toBe(true);
    const parts = readParts(dir, 'app.log');
    for (const part of parts.slice(0, -1))
      expect(part.content.includes(0), `${part.name} ${seen}`).toBe(false);
    const all = parts.map((p) => stripNuls(p.content)).join('');
    expect(sequenceProblems(lineNumbers(all), last)).toEqual([]);
    // The live file is sparse: its apparent size grew, its allocated bytes did not.
    const stats = statSync(join(dir, 'app.log'));
    expect(stats.blocks * 512).toBeLessThan(stats.size / 4);
  });
});

describe('capFile where collapse-range is refused', () => {
  let area: { dir: string; remove: () => void };
  let forced: Set<FallocateMethod>;
  beforeAll(() => {
    const tmpfs = mountTmpfs(256);
    // Without mount rights, force the fallback on ext4 by marking both methods refused.
    area = tmpfs ?? makeTempDir();
    forced = tmpfs ? new Set() : new Set(['collapse', 'punch']);
  });
  afterAll(() => area.remove());

  it('falls back to copy-then-truncate: lines stay in order, whole, never duplicated, and losses are counted', async () => {
    const dir = area.dir;
    const writer = startWriter(join(dir, 'app.log'), 'append', 1.5);
    const { last, outcomes } = await capWhileWriting(dir, 'app.log', writer, 256 * 1024, forced);
    expect(outcomes.length).toBeGreaterThanOrEqual(5);
    expect(new Set(outcomes.map((o) => o.method))).toEqual(new Set(['truncate']));
    const parts = readParts(dir, 'app.log');
    const numbers: number[] = [];
    const gaps: string[] = [];
    for (const part of parts) {
      const text = part.content.toString('latin1');
      expect(text === '' || text.endsWith('\n')).toBe(true);
      const inPart = lineNumbers(text);
      // Within a file lines are consecutive: a loss can only happen at a truncate.
      expect(
        sequenceProblems(
          inPart.map((n) => n - (inPart[0] ?? 1) + 1),
          inPart.length,
        ),
      ).toEqual([]);
      const previous = numbers.at(-1) ?? 0;
      if (inPart.length > 0 && inPart[0] !== previous + 1) gaps.push(`${previous + 1}..${inPart[0]! - 1}`);
      numbers.push(...inPart);
    }
    // The writer may finish while a last cap is between its copy and its truncate: that cap's
    // window can take the tail too, so a lost tail is one more gap, never an unreported one.
    const tail = numbers.at(-1) ?? 0;
    expect(tail).toBeLessThanOrEqual(last);
    if (tail < last) gaps.push(`${tail + 1}..${last}`);
    expect(new Set(numbers).size).toBe(numbers.length);
    const lostLines = last - numbers.length;
    const atRisk = outcomes.reduce((sum, o) => sum + o.bytesAtRisk, 0);
    // Lines lost are 64 bytes each and fall in the windows we report as at risk.
    if (lostLines > 0) expect(atRisk).toBeGreaterThan(0);
    expect(gaps.length).toBeLessThanOrEqual(outcomes.length);
  });

  it('reads the file on tmpfs (or ext4) back the same when nothing is writing', async () => {
    const dir = area.dir;
    const content = Buffer.from(Array.from({ length: 3000 }, (_, i) => `quiet ${i}\n`).join(''));
    writeFileSync(join(dir, 'quiet.log'), content);
    const outcome = await capFile(capAction('quiet.log'), { fs: realFs, dir, level: 6, refused: forced });
    expect(outcome).toMatchObject({ method: 'truncate', bytesAtRisk: 0 });
    const all = Buffer.concat(readParts(dir, 'quiet.log').map((p) => p.content));
    expect(all.equals(content)).toBe(true);
    expect(readFileSync(join(dir, 'quiet.log')).length).toBe(0);
  });
});

describe('capFile and the app', () => {
  const temp = makeTempDir();
  afterAll(() => temp.remove());

  it('abandons the cap, losing none of its new lines, when the app truncates its file meanwhile', async () => {
    const dir = join(temp.dir, 'truncating');
    mkdirSync(dir);
    const head = Buffer.from(Array.from({ length: 5000 }, (_, i) => `old ${i}\n`).join(''));
    writeFileSync(join(dir, 'app.log'), head);
    // The app truncates its file and starts again between our copy and our collapse: the
    // collapse now reaches past the end and fails with EINVAL.
    const fs: SidecarFs = {
      ...realFs,
      fallocate: async (handle, op, offset, length) => {
        truncateSync(join(dir, 'app.log'), 0);
        appendFileSync(join(dir, 'app.log'), 'new 1\nnew 2\n');
        return realFs.fallocate(handle, op, offset, length);
      },
    };
    const outcome = await capFile(capAction('app.log'), { fs, dir, level: 1, refused: new Set() });
    expect(readFileSync(join(dir, 'app.log'), 'utf8')).toBe('new 1\nnew 2\n');
    expect(outcome.method).toBe('none');
    expect(outcome.bytesAtRisk).toBe(0);
    // The head it saved before the app dropped it stays saved: nothing lost, nothing twice.
    const saved = Math.floor((head.length - 1) / 4096) * 4096;
    expect(readParts(dir, 'app.log').map((p) => p.content.toString())).toEqual([
      head.subarray(0, saved).toString(),
      'new 1\nnew 2\n',
    ]);
  });

  it('abandons a copy-then-truncate cap when the app truncated its file meanwhile', async () => {
    const dir = join(temp.dir, 'truncating-fallback');
    mkdirSync(dir);
    writeFileSync(join(dir, 'app.log'), Buffer.alloc(100_000, 'o'));
    const fs: SidecarFs = {
      ...realFs,
      utimes: async (path, atime, mtime) => {
        // While the head is being saved, the app truncates and writes anew.
        truncateSync(join(dir, 'app.log'), 0);
        appendFileSync(join(dir, 'app.log'), 'fresh\n');
        return realFs.utimes(path, atime, mtime);
      },
    };
    await capFile(capAction('app.log'), { fs, dir, level: 1, refused: new Set(['collapse', 'punch']) });
    expect(readFileSync(join(dir, 'app.log'), 'utf8')).toBe('fresh\n');
  });

  it('keeps zeros the app really wrote in the rotated file', async () => {
    const dir = join(temp.dir, 'zeros');
    mkdirSync(dir);
    // A binary-ish record with 16 KiB of real zeros between two text lines.
    const content = Buffer.concat([
      Buffer.from('before the zeros\n'),
      Buffer.alloc(16 * 1024),
      Buffer.from(Array.from({ length: 3000 }, (_, i) => `after ${i}\n`).join('')),
    ]);
    writeFileSync(join(dir, 'app.log'), content);
    const outcome = await capFile(capAction('app.log'), { fs: realFs, dir, level: 1, refused: new Set() });
    expect(outcome.method).toBe('collapse');
    const all = Buffer.concat(readParts(dir, 'app.log').map((p) => p.content));
    expect(all.equals(content)).toBe(true);
  });
});
