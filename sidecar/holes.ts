// Reading files with holes. A writer without O_APPEND keeps its own file offset: after we remove
// the head of its file, its next write lands past the new end and the gap becomes a hole that
// reads as NUL bytes; an app may also create a sparse file itself. Holes are never copied into
// an archive, and zeros the app really wrote always are. The filesystem says which is which
// (extents.ts). Around a hole the kernel zero-fills the rest of the block the hole cuts into:
// those NULs are part of the hole too and are dropped, at most a block on each side.
//
// Without the hole map (no helper), a leading hole is found by binary search and any other run
// of NULs of at least a block is taken for a hole: the behaviour before the map existed.
import type { FileHandle } from 'node:fs/promises';
import { dataExtents, type Extent } from './extents.ts';

// Reads of 1 MiB: each chunk is one trip through zlib's thread pool, and with fewer, larger
// ones zstd spent half the CPU per MB on a busy core (256 KiB reads: 31-38 MB per CPU second
// pinned to one core, 1 MiB: 51-63, against 87-108 for the zstd CLI).
const CHUNK = 1 << 20;

/** `[start, end)` of an open file in chunks, by position (the descriptor's offset is unused). */
export async function* readRange(handle: FileHandle, start: number, end: number): AsyncGenerator<Buffer> {
  for (let position = start; position < end; ) {
    const length = Math.min(CHUNK, end - position);
    const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(length), 0, length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

async function isZeroBlock(handle: FileHandle, offset: number, block: number): Promise<boolean> {
  const { bytesRead, buffer } = await handle.read(Buffer.alloc(block), 0, block, offset);
  return buffer.subarray(0, bytesRead).every((byte) => byte === 0);
}

/**
 * The first block-aligned offset below `end` that holds data, assuming the file is a hole
 * followed by data (what punching a prefix leaves). `end` when all of it reads as zeros.
 */
export async function findDataStart(handle: FileHandle, end: number, block: number): Promise<number> {
  let low = 0;
  let high = Math.ceil(end / block);
  if (high === 0 || !(await isZeroBlock(handle, 0, block))) return 0;
  // Invariant: block `low` is zero; block `high` has data or is past the end.
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (await isZeroBlock(handle, middle * block, block)) low = middle;
    else high = middle;
  }
  return Math.min(high * block, end);
}

/**
 * Drops runs of at least `minRun` NUL bytes, and a run of any length at the very end (there
 * the range was cut inside a hole). Shorter runs inside the data are kept as they are.
 */
export async function* dropHoles(source: AsyncIterable<Buffer>, minRun: number): AsyncGenerator<Buffer> {
  const zeros = Buffer.alloc(4096);
  let pendingZeros = 0;
  for await (const chunk of source) {
    const out: Buffer[] = [];
    let position = 0;
    while (position < chunk.length) {
      if (chunk[position] === 0) {
        let end = position;
        while (end + zeros.length <= chunk.length && chunk.subarray(end, end + zeros.length).equals(zeros)) {
          end += zeros.length;
        }
        while (end < chunk.length && chunk[end] === 0) end++;
        pendingZeros += end - position;
        position = end;
        continue;
      }
      if (pendingZeros > 0) {
        if (pendingZeros < minRun) out.push(Buffer.alloc(pendingZeros));
        pendingZeros = 0;
      }
      const next = chunk.indexOf(0, position);
      const stop = next === -1 ? chunk.length : next;
      out.push(chunk.subarray(position, stop));
      position = stop;
    }
    if (out.length > 0) yield Buffer.concat(out);
  }
}

/** A file whose allocated bytes are far below its apparent size has holes. */
export function isSparse(size: number, allocatedBytes: number, block: number): boolean {
  return size - allocatedBytes >= Math.max(4 * block, size / 16);
}

export interface DataReader {
  /** The data of the range, holes left out. */
  chunks: AsyncIterable<Buffer>;
  /** The first offset in the range that holds data (the range's end when none does). */
  firstData: number;
  /** True when holes were guessed from NUL runs because the filesystem's map was unavailable. */
  guessed: boolean;
}

/**
 * The data of `[start, end)` of an open file. `mayHaveHoles` (allocated below apparent size)
 * decides whether to ask the filesystem at all: a file without holes is read as it is.
 */
export async function readData(
  handle: FileHandle,
  start: number,
  end: number,
  block: number,
  mayHaveHoles: boolean,
): Promise<DataReader> {
  if (!mayHaveHoles || end <= start)
    return { chunks: readRange(handle, start, end), firstData: start, guessed: false };
  const extents = await dataExtents(handle, start, end);
  if (extents) {
    return {
      chunks: readExtents(handle, extents, start, end, block),
      firstData: extents[0]?.start ?? end,
      guessed: false,
    };
  }
  const firstData = Math.max(start, await findDataStart(handle, end, block));
  return { chunks: dropHoles(readRange(handle, firstData, end), block), firstData, guessed: true };
}

async function* readExtents(
  handle: FileHandle,
  extents: readonly Extent[],
  start: number,
  end: number,
  block: number,
): AsyncGenerator<Buffer> {
  for (const extent of extents) {
    let from = extent.start;
    let to = extent.end;
    // A hole before: the zero fill at the start of the block the data resumes in is no data.
    // A block of nothing but zeros is not a fill (a write past the end starts mid-block): kept.
    if (from > start) {
      const head = await readAll(handle, from, Math.min(to, from + block));
      const zeros = leadingZeros(head);
      if (zeros < head.length) from += zeros;
    }
    // A hole after: likewise for the zero fill at the end of the block the data stops in.
    let tail: Buffer | undefined;
    if (to < end && to > from) {
      const tailStart = Math.max(from, to - block);
      const bytes = await readAll(handle, tailStart, to);
      const zeros = trailingZeros(bytes);
      if (zeros < bytes.length) {
        tail = bytes.subarray(0, bytes.length - zeros);
        to = tailStart;
      }
    }
    yield* readRange(handle, from, to);
    if (tail && tail.length > 0) yield tail;
  }
}

async function readAll(handle: FileHandle, from: number, to: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of readRange(handle, from, to)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function leadingZeros(buffer: Buffer): number {
  let i = 0;
  while (i < buffer.length && buffer[i] === 0) i++;
  return i;
}

function trailingZeros(buffer: Buffer): number {
  let i = buffer.length;
  while (i > 0 && buffer[i - 1] === 0) i--;
  return buffer.length - i;
}
