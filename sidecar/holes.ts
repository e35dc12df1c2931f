// Reading files that writers without O_APPEND have made sparse. Such a writer keeps its own
// file offset: after we remove the head of its file, its next write lands past the new end and
// the gap becomes a hole that reads as NUL bytes. Copying that into a rotated file would give
// the classic NUL-filled log, so holes are skipped: a leading hole by binary search (cheap even
// when the apparent size has grown to gigabytes), any other run of NULs of at least a block by
// filtering. Logs do not contain kilobytes of NULs; holes do.
import type { FileHandle } from 'node:fs/promises';

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
