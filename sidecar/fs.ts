// The one seam between the sidecar and the filesystem. execute() and everything it calls use
// only this object, so tests can inject faults (ENOSPC, a file vanishing mid-copy) and the
// real thing stays in one place. Paths are strings in which a byte of a name that is not UTF-8
// is escaped (name-bytes.ts); the real implementation turns them back into bytes.
import type { Stats, StatsFs } from 'node:fs';
import { constants, lstat as lstatCallback } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import { decodeName, encodeName, hasEscapes } from './name-bytes.ts';

export type FallocateOp = 'collapse-range' | 'punch-hole';

export interface SidecarFs {
  lstat(path: string): Promise<Stats>;
  /** Entry names, byte-exact (escaped where they are not UTF-8). */
  readdir(path: string): Promise<string[]>;
  open(path: string, flags: number, mode?: number): Promise<FileHandle>;
  rename(from: string, to: string): Promise<void>;
  /** A new name for an existing file; EEXIST if `to` exists: the no-replace primitive. */
  link(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  utimes(path: string, atime: Date, mtime: Date): Promise<void>;
  statfs(path: string): Promise<StatsFs>;
  /** Removes (collapse) or deallocates (punch) `[offset, offset + length)` of an open file. */
  fallocate(handle: FileHandle, op: FallocateOp, offset: number, length: number): Promise<void>;
}

export const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
/** Capping needs write access; O_NOFOLLOW so a symlink swapped in after the scan is refused. */
export const READ_WRITE_FLAGS = constants.O_RDWR | constants.O_NOFOLLOW;
/** Our temporary files: created new, never through a symlink or over something already there. */
export const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** A directory on the way to a file: never a symlink, so no path component can lead outside. */
export const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

// util-linux prints strerror text; map the ones we act on back to their codes.
const STRERROR: Record<string, string> = {
  'Operation not supported': 'EOPNOTSUPP',
  'Invalid argument': 'EINVAL',
  'No space left on device': 'ENOSPC',
  'Permission denied': 'EACCES',
  'Operation not permitted': 'EPERM',
  'Bad file descriptor': 'EBADF',
  'Text file busy': 'ETXTBSY',
};

/**
 * Node has no fallocate(2), so we run util-linux `fallocate` (carried by the sidecar image) on
 * our own descriptor, passed as the child's fd 3 and reopened through `/proc/self/fd/3`: the
 * child acts on the inode we opened with O_NOFOLLOW and checked, not on whatever the path
 * names by then.
 */
function fallocate(handle: FileHandle, op: FallocateOp, offset: number, length: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [`--${op}`, '--offset', String(offset), '--length', String(length), '/proc/self/fd/3'];
    // node:child_process at the first cap, not at start: most pods never cap.
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn('fallocate', args, { stdio: ['ignore', 'ignore', 'pipe', handle.fd] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      // No fallocate binary: behave like a filesystem that refuses, so capping falls back.
      reject(
        Object.assign(new Error(`fallocate unavailable: ${error.code ?? error.message}`), {
          code: 'EOPNOTSUPP',
        }),
      );
    });
    child.on('close', (status) => {
      if (status === 0) return resolve();
      const text = stderr.trim();
      const code = Object.entries(STRERROR).find(([message]) => text.includes(message))?.[1] ?? 'EIO';
      reject(Object.assign(new Error(`fallocate --${op}: ${text || `exit ${status}`}`), { code }));
    });
  });
}

/** The path as the kernel must see it: bytes when a name in it is not UTF-8. */
function bytesOf(path: string): string | Buffer {
  return hasEscapes(path) ? encodeName(path) : path;
}

/** A name read as Latin-1 (one char per byte, lossless) in our escaped form. */
function fromLatin1(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: any byte outside ASCII
  return /[^\x00-\x7f]/.test(name) ? decodeName(Buffer.from(name, 'latin1')) : name;
}

export const realFs: SidecarFs = {
  // The callback API: the promise one costs twice the time per call, and a scan makes one
  // call per file.
  lstat: (path) =>
    new Promise((resolve, reject) =>
      lstatCallback(bytesOf(path), (error, stats) => (error ? reject(error) : resolve(stats))),
    ),
  // Latin-1 maps every byte to one character, so no name is lost on the way, and the common
  // ASCII name needs no Buffer at all.
  readdir: async (path) => (await fsp.readdir(bytesOf(path), { encoding: 'latin1' })).map(fromLatin1),
  open: (path, flags, mode) => fsp.open(bytesOf(path), flags, mode),
  rename: (from, to) => fsp.rename(bytesOf(from), bytesOf(to)),
  link: (from, to) => fsp.link(bytesOf(from), bytesOf(to)),
  unlink: (path) => fsp.unlink(bytesOf(path)),
  utimes: (path, atime, mtime) => fsp.utimes(bytesOf(path), atime, mtime),
  statfs: (path) => fsp.statfs(bytesOf(path)),
  fallocate,
};

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Makes a rename durable: without it a crash can bring the old name back. */
export async function syncDirectory(fs: SidecarFs, dir: string): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
