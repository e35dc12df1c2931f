// The one seam between the sidecar and the filesystem. execute() and everything it calls use
// only this object, so tests can inject faults (ENOSPC, a file vanishing mid-copy) and the
// real thing stays in one place.
import { spawn } from 'node:child_process';
import type { Dirent, Stats, StatsFs } from 'node:fs';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';

export type FallocateOp = 'collapse-range' | 'punch-hole';

export interface SidecarFs {
  lstat(path: string): Promise<Stats>;
  readdir(path: string): Promise<Dirent[]>;
  open(path: string, flags: number, mode?: number): Promise<FileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  utimes(path: string, atime: Date, mtime: Date): Promise<void>;
  statfs(path: string): Promise<StatsFs>;
  /** Removes (collapse) or deallocates (punch) `[offset, offset + length)` of an open file. */
  fallocate(handle: FileHandle, op: FallocateOp, offset: number, length: number): Promise<void>;
}

export const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
/** Capping needs write access; O_NOFOLLOW so a symlink swapped in after the scan is refused. */
export const READ_WRITE_FLAGS = constants.O_RDWR | constants.O_NOFOLLOW;
export const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

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

export const realFs: SidecarFs = {
  lstat: (path) => fsp.lstat(path),
  readdir: (path) => fsp.readdir(path, { withFileTypes: true }),
  open: (path, flags, mode) => fsp.open(path, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  utimes: (path, atime, mtime) => fsp.utimes(path, atime, mtime),
  statfs: (path) => fsp.statfs(path),
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
