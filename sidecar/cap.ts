// Caps a file the app may hold open, without losing lines. Renaming frees nothing while the app
// keeps its descriptor, so the head of the file moves out instead:
//
// 1. Copy the head `[start, end)` (end block-aligned, below EOF) into a rotated file through
//    output.ts (temporary name, fsync, link to a free name): compressed, or plain with
//    compress=none. Holes are left out, zeros the app wrote are kept (holes.ts).
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
// The app may truncate or replace its own file while we work. Collapse-range then fails with
// EINVAL (the range now reaches past the end): that is not "unsupported", and no fallback
// runs. Before any truncate the size and identity are checked again, synchronously: a file
// shorter than what we read, or a name that now leads elsewhere, abandons the cap. What was
// saved stays saved (the app dropped it from its file itself); nothing of the app's new
// content is touched.
//
// Writers without O_APPEND keep their own offset: after a collapse or truncate their next write
// lands past the new end and leaves a hole (reads as NULs, uses no disk). Nothing they wrote is
// lost, but the live file's apparent size keeps growing while its allocated size stays small.
// We recognise such a file by `st_blocks * 512` far below `st_size`, size it by its data, cap it
// with punch-hole (which never moves data under their offset) and copy only its data.
//
// Crash safety: a crash before the link leaves a temporary file the next plan removes; a
// crash between the link and the collapse leaves the head in both files (duplicated, not
// lost); in copy-then-truncate mode a crash between the truncate and the tail's publication
// loses the tail held in memory (the bytes reported at risk).
import { fstatSync, ftruncateSync, lstatSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { errorCode, READ_WRITE_FLAGS, type SidecarFs } from './fs.ts';
import { dropHoles, isSparse, readData, readRange } from './holes.ts';
import { encodeName, hasEscapes } from './name-bytes.ts';
import { withAttempt } from './names.ts';
import { writeAtomically } from './output.ts';
import type { Action } from './types.ts';

export type CapAction = Extract<Action, { kind: 'cap' }>;
export type FallocateMethod = 'collapse' | 'punch';
export type CapMethod = FallocateMethod | 'truncate';

export interface CapOptions {
  fs: SidecarFs;
  /** The directory holding `action.file` and its rotations (a descriptor path, see confine.ts). */
  dir: string;
  level: number;
  /** Methods this filesystem refused (EOPNOTSUPP): learned once, or preset to force a fallback. */
  refused: Set<FallocateMethod>;
  signal?: AbortSignal | undefined;
}

export interface CapOutcome {
  /** `none`: nothing removed (nothing to remove, or the app truncated or replaced its file). */
  method: CapMethod | 'none';
  /** Bytes removed from the head of the live file (holes included). */
  removedBytes: number;
  /** Rotated files written, in order. */
  rotated: string[];
  bytesOut: number;
  /** copy-then-truncate only: bytes the app appended while we copied, racing the truncate. */
  bytesAtRisk: number;
  sparse: boolean;
  /** Why a started cap stopped: the app truncated its file, or put another file in its place. */
  abandoned?: 'truncated' | 'replaced';
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
  const path = posix.join(dir, action.file);
  const handle = await fs.open(path, READ_WRITE_FLAGS);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
    if (stats.nlink > 1)
      throw Object.assign(new Error('has other hard links; left alone'), { code: 'ELINKED' });
    const block = (await fs.statfs(dir)).bsize;
    const allocated = stats.blocks * 512;
    const sparse = isSparse(stats.size, allocated, block);
    // Block-aligned (collapse-range requires it) and strictly below EOF (it refuses to reach it).
    const end = Math.floor((Math.max(0, stats.size - action.keepBytes) - 1) / block) * block;
    const head = await readData(handle, 0, Math.max(0, end), block, allocated < stats.size);
    const start = Math.floor(head.firstData / block) * block;
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
    const copyBuffers: Copy | undefined = keep
      ? (source, mtime) => writePart(source, mtime, action, options, outcome)
      : undefined;
    if (copyBuffers) await copyBuffers(head.chunks, stats.mtime);

    for (const method of methodsFor(keep, sparse)) {
      if (method === 'truncate') {
        await chaseAndTruncate(handle, path, stats, end, copyBuffers, sparse ? block : 0, outcome);
        return outcome;
      }
      if (options.refused.has(method)) continue;
      try {
        await fs.fallocate(handle, method === 'collapse' ? 'collapse-range' : 'punch-hole', 0, end);
        return { ...outcome, method, removedBytes: end };
      } catch (error) {
        const code = errorCode(error);
        if (code === 'EINVAL') {
          // The range reaches past the end now: the app truncated its file under us.
          const now = await handle.stat();
          if (now.size <= end) return { ...outcome, abandoned: 'truncated' };
          continue;
        }
        if (code === 'EOPNOTSUPP') {
          options.refused.add(method);
          continue;
        }
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
  const first = outcome.rotated.length;
  const written = await writeAtomically(source, {
    fs: options.fs,
    dir: options.dir,
    name: (attempt) => withAttempt(base, first + attempt),
    compression: action.compression,
    level: options.level,
    mtime,
    signal: options.signal,
  });
  outcome.bytesOut += written.size;
  outcome.rotated.push(written.name);
}

/** True while `path` still names the inode we opened. */
function sameFile(path: string, ino: number): boolean {
  return lstatSync(hasEscapes(path) ? encodeName(path) : path, { throwIfNoEntry: false })?.ino === ino;
}

/**
 * The fallback: copy what was appended since `from` and truncate right after the last read.
 * Without `copy` (the last resort drops the head) it truncates at once. Checked before every
 * step: a file the app truncated or replaced meanwhile is left as it is.
 */
async function chaseAndTruncate(
  handle: FileHandle,
  path: string,
  atStart: { size: number; ino: number; mtime: Date },
  from: number,
  copyBuffers: Copy | undefined,
  holeRun: number,
  outcome: CapOutcome,
): Promise<void> {
  let position = from;
  let stats = await handle.stat();
  const tail: Buffer[] = [];
  const abandon = (why: CapOutcome['abandoned']) => {
    outcome.abandoned = why;
  };
  // A file with holes: its tail may hold some too (a writer without O_APPEND).
  const clean = (source: AsyncIterable<Buffer>) => (holeRun > 0 ? dropHoles(source, holeRun) : source);
  if (copyBuffers) {
    // Large tails (a fast writer during a slow compression) go to files while the app goes on.
    while (stats.size - position > CHASE_IN_MEMORY) {
      await copyBuffers(clean(readRange(handle, position, stats.size)), stats.mtime);
      position = stats.size;
      stats = await handle.stat();
    }
    if (stats.size < position) return abandon('truncated');
  }
  // The name must still lead to this file: an app that renamed it away and made a new one
  // (its own rotation) writes the new one, and this one is not ours to truncate.
  if (!sameFile(path, atStart.ino)) return abandon('replaced');
  // Synchronously from the last read to the truncate: no event-loop turn in between, so the
  // window in which an appended line is lost is a few microseconds. The size check in it costs
  // one fstat: a file shorter than what we read was truncated by the app, and is left alone.
  if (copyBuffers) {
    position += readToEnd(handle.fd, position, tail);
    if (fstatSync(handle.fd).size < position) return abandon('truncated');
  }
  ftruncateSync(handle.fd, 0);
  const tailBytes = tail.reduce((sum, chunk) => sum + chunk.length, 0);
  outcome.method = 'truncate';
  outcome.removedBytes = copyBuffers ? position : stats.size;
  outcome.bytesAtRisk = copyBuffers ? Math.max(0, position - atStart.size) : 0;
  if (tailBytes > 0 && copyBuffers) await copyBuffers(clean(fromBuffers(tail)), stats.mtime);
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
