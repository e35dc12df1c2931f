// Caps a file the app may hold open, without losing lines. Renaming frees nothing while the app
// keeps its descriptor, so the head of the file moves out instead:
//
// 1. Copy the head `[start, end)` (end block-aligned, below EOF) into a rotated file through
//    output.ts (temporary name, fsync, rename): compressed, or plain with compress=none.
// 2. Remove that head from the live file:
//    - collapse-range (ext4, xfs): the kernel shifts the rest down under the inode lock, so an
//      O_APPEND write lands either before (and is shifted) or after (and is appended): nothing
//      is lost, nothing duplicated. The rotated files followed by the live file are the exact
//      byte stream the app wrote; a line may straddle the boundary between two files.
//    - punch-hole, for files with holes (see below): frees the head's blocks in place.
//    - copy-then-truncate where the filesystem refuses both (tmpfs refuses collapse-range):
//      chase the tail into memory, truncate right after the last read, save the tail as one
//      more rotated part. Lines written between that last read and the truncate are lost; the
//      bytes the app appended while we copied are reported as at risk.
//
// Writers without O_APPEND keep their own offset: after a collapse or truncate their next write
// lands past the new end and leaves a hole (reads as NULs, uses no disk). Nothing they wrote is
// lost, but the live file's apparent size keeps growing while its allocated size stays small.
// We recognise such a file by `st_blocks * 512` far below `st_size`, size it by its data, cap it
// with punch-hole (which never moves data under their offset), skip the leading hole by binary
// search and drop NUL runs when copying, so rotated files never fill with NULs.
//
// Crash safety: a crash before the rename leaves a temporary file the next plan removes; a
// crash between the rename and the collapse leaves the head in both files (duplicated, not
// lost); in copy-then-truncate mode a crash between the truncate and the tail's rename loses
// the tail held in memory (the bytes reported at risk).
import { ftruncateSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { errorCode, READ_WRITE_FLAGS, type SidecarFs } from './fs.ts';
import { dropHoles, findDataStart, isSparse, readRange } from './holes.ts';
import { withAttempt } from './names.ts';
import { exists, writeAtomically } from './output.ts';
import type { Action } from './types.ts';

export type CapAction = Extract<Action, { kind: 'cap' }>;
export type FallocateMethod = 'collapse' | 'punch';
export type CapMethod = FallocateMethod | 'truncate';

export interface CapOptions {
  fs: SidecarFs;
  dir: string;
  level: number;
  /** Methods this filesystem refused (EOPNOTSUPP): learned once, or preset to force a fallback. */
  refused: Set<FallocateMethod>;
  signal?: AbortSignal | undefined;
}

export interface CapOutcome {
  method: CapMethod | 'none';
  /** Bytes removed from the head of the live file (holes included). */
  removedBytes: number;
  /** Rotated files written, in order. */
  rotated: string[];
  bytesOut: number;
  /** copy-then-truncate only: bytes the app appended while we copied, racing the truncate. */
  bytesAtRisk: number;
  sparse: boolean;
}

// The final read before a truncate is held in memory; bigger tails go to a file first.
const CHASE_IN_MEMORY = 4 << 20;

function methodsFor(keep: boolean, sparse: boolean): CapMethod[] {
  if (sparse) return ['punch', 'collapse', 'truncate'];
  // An O_APPEND file punched would grow a leading hole forever; collapse keeps it compact.
  return keep ? ['collapse', 'truncate'] : ['collapse', 'punch', 'truncate'];
}

export async function capFile(action: CapAction, options: CapOptions): Promise<CapOutcome> {
  const { fs, dir } = options;
  const handle = await fs.open(posix.join(dir, action.file), READ_WRITE_FLAGS);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
    const block = (await fs.statfs(posix.dirname(posix.join(dir, action.file)))).bsize;
    const sparse = isSparse(stats.size, stats.blocks * 512, block);
    // Block-aligned (collapse-range requires it) and strictly below EOF (it refuses to reach it).
    const end = Math.floor((Math.max(0, stats.size - action.keepBytes) - 1) / block) * block;
    const start = sparse ? await findDataStart(handle, end, block) : 0;
    const outcome: CapOutcome = {
      method: 'none',
      removedBytes: 0,
      rotated: [],
      bytesOut: 0,
      bytesAtRisk: 0,
      sparse,
    };
    if (end <= start) return outcome;

    const keep = action.rotated !== undefined;
    // Always drop NUL runs of a block or more: a hole can exist before it is big enough to call
    // the file sparse (a fast writer fills the file past a first, small hole).
    const clean = (source: AsyncIterable<Buffer>) => dropHoles(source, block);
    const copyBuffers: Copy | undefined = keep
      ? (source, mtime) => writePart(clean(source), mtime, action, options, outcome)
      : undefined;
    const copy = copyBuffers
      ? (from: number, to: number, mtime: Date) => copyBuffers(readRange(handle, from, to), mtime)
      : undefined;
    if (copy) await copy(start, end, stats.mtime);

    for (const method of methodsFor(keep, sparse)) {
      if (method === 'truncate') {
        await chaseAndTruncate(handle, end, stats.size, copy, copyBuffers, outcome);
        return outcome;
      }
      if (options.refused.has(method)) continue;
      try {
        await fs.fallocate(handle, method === 'collapse' ? 'collapse-range' : 'punch-hole', 0, end);
        return { ...outcome, method, removedBytes: end };
      } catch (error) {
        const code = errorCode(error);
        if (code === 'EOPNOTSUPP') options.refused.add(method);
        if (code === 'EOPNOTSUPP' || code === 'EINVAL') continue;
        // The head is still in the live file: the rotated copy would duplicate it.
        for (const name of outcome.rotated) await fs.unlink(posix.join(dir, name)).catch(() => {});
        throw error;
      }
    }
    return outcome;
  } finally {
    await handle.close();
  }
}

type Copy = (source: AsyncIterable<Buffer>, mtime: Date) => Promise<void>;

/** Writes `source` into the next free rotated part. */
async function writePart(
  source: AsyncIterable<Buffer>,
  mtime: Date,
  action: CapAction,
  options: CapOptions,
  outcome: CapOutcome,
): Promise<void> {
  const base = action.rotated!;
  let attempt = outcome.rotated.length;
  while (await exists(options.fs, posix.join(options.dir, withAttempt(base, attempt)))) attempt++;
  const name = withAttempt(base, attempt);
  outcome.bytesOut += await writeAtomically(source, {
    fs: options.fs,
    dir: options.dir,
    name,
    compression: action.compression,
    level: options.level,
    mtime,
    signal: options.signal,
  });
  outcome.rotated.push(name);
}

/**
 * The fallback: copy what was appended since `from` and truncate right after the last read.
 * Without `copy` (the last resort drops the head) it truncates at once.
 */
async function chaseAndTruncate(
  handle: FileHandle,
  from: number,
  sizeAtStart: number,
  copy: ((from: number, to: number, mtime: Date) => Promise<void>) | undefined,
  copyBuffers: Copy | undefined,
  outcome: CapOutcome,
): Promise<void> {
  let position = from;
  let stats = await handle.stat();
  const tail: Buffer[] = [];
  if (copy && copyBuffers) {
    // Large tails (a fast writer during a slow compression) go to files while the app goes on.
    while (stats.size - position > CHASE_IN_MEMORY) {
      await copy(position, stats.size, stats.mtime);
      position = stats.size;
      stats = await handle.stat();
    }
    position += readToEnd(handle.fd, position, tail);
  }
  // Synchronously, straight after the read that found the end: no event-loop turn in between,
  // so the window in which an appended line is lost is a few microseconds.
  ftruncateSync(handle.fd, 0);
  const tailBytes = tail.reduce((sum, chunk) => sum + chunk.length, 0);
  outcome.method = 'truncate';
  outcome.removedBytes = copy ? position : stats.size;
  outcome.bytesAtRisk = copy ? Math.max(0, position - sizeAtStart) : 0;
  if (tailBytes > 0 && copyBuffers) await copyBuffers(fromBuffers(tail), stats.mtime);
}

/** Reads from `position` until read(2) returns 0; returns the bytes read. */
function readToEnd(fd: number, position: number, into: Buffer[]): number {
  let total = 0;
  for (;;) {
    const buffer = Buffer.allocUnsafe(256 * 1024);
    const bytesRead = readSync(fd, buffer, 0, buffer.length, position + total);
    if (bytesRead === 0) return total;
    into.push(buffer.subarray(0, bytesRead));
    total += bytesRead;
  }
}

async function* fromBuffers(buffers: Buffer[]): AsyncGenerator<Buffer> {
  yield* buffers;
}
