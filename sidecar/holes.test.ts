import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropHoles, findDataStart, isSparse, readData } from './holes.ts';
import { makeTempDir } from './testing/tmpdir.ts';

async function collect(chunks: Buffer[], minRun: number): Promise<string> {
  async function* source() {
    yield* chunks;
  }
  const out: Buffer[] = [];
  for await (const chunk of dropHoles(source(), minRun)) out.push(chunk);
  return Buffer.concat(out).toString('latin1');
}

describe('dropHoles', () => {
  it.each<[string, Buffer[], string]>([
    ['keeps data without NULs', [Buffer.from('a\nb\n')], 'a\nb\n'],
    ['drops a long run', [Buffer.from('a\n'), Buffer.alloc(10), Buffer.from('b\n')], 'a\nb\n'],
    ['keeps a short run', [Buffer.from('a\0b\n')], 'a\0b\n'],
    [
      'drops a long run split across chunks',
      [Buffer.from('a\n\0\0\0\0'), Buffer.from('\0\0\0\0b\n')],
      'a\nb\n',
    ],
    ['keeps a short run split across chunks', [Buffer.from('a\0'), Buffer.from('\0b')], 'a\0\0b'],
    ['drops a trailing run of any length', [Buffer.from('a\n\0\0')], 'a\n'],
  ])('%s', async (_title, chunks, expected) => {
    expect(await collect(chunks, 8)).toBe(expected);
  });
});

describe('findDataStart', () => {
  const temp = makeTempDir();
  afterAll(() => temp.remove());
  it.each([0, 1, 7, 100])('finds data after %d zero blocks', async (blocks) => {
    const path = join(temp.dir, `f${blocks}`);
    writeFileSync(path, Buffer.concat([Buffer.alloc(blocks * 4096), Buffer.alloc(3 * 4096, 'x')]));
    const handle = await open(path);
    try {
      expect(await findDataStart(handle, (blocks + 3) * 4096, 4096)).toBe(blocks * 4096);
    } finally {
      await handle.close();
    }
  });
});

describe('isSparse', () => {
  it.each([
    [100_000, 102_400, false],
    [1_000_000, 990_000, false],
    [10_000_000, 100_000, true],
    [1_000_000, 700_000, true],
  ])('size %d with %d allocated -> %s', (size, allocated, sparse) =>
    expect(isSparse(size, allocated, 4096)).toBe(sparse),
  );
});

describe('readData', () => {
  const temp = makeTempDir();
  afterAll(() => temp.remove());

  async function read(path: string, mayHaveHoles: boolean): Promise<Buffer> {
    const handle = await open(path);
    try {
      const { size } = await handle.stat();
      const data = await readData(handle, 0, size, 4096, mayHaveHoles);
      const chunks: Buffer[] = [];
      for await (const chunk of data.chunks) chunks.push(chunk);
      expect(data.guessed).toBe(false);
      return Buffer.concat(chunks);
    } finally {
      await handle.close();
    }
  }

  it('keeps zeros the app wrote, however long the run', async () => {
    const path = join(temp.dir, 'zeros');
    const content = Buffer.concat([Buffer.from('a\n'), Buffer.alloc(64 * 1024), Buffer.from('b\n')]);
    writeFileSync(path, content);
    expect((await read(path, true)).equals(content)).toBe(true);
  });

  it('leaves out holes and the zero fill of the blocks at their edges', async () => {
    // What a writer without O_APPEND leaves after a cap: data ending mid-block, a hole, and its
    // next line written mid-block further on.
    const path = join(temp.dir, 'sparse');
    const fd = openSync(path, 'w');
    writeSync(fd, 'before the hole\n', 0);
    writeSync(fd, 'after the hole\n', 10 * 4096 + 100);
    closeSync(fd);
    expect((await read(path, true)).toString()).toBe('before the hole\nafter the hole\n');
  });
});
