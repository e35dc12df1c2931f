// Removing a file's content without removing the file. A writer that still holds a file we took
// for closed (a worker idle past closed-after, an app that reopens yesterday's file to flush)
// writes its next line into that inode: unlinked, the line goes to a file no one can see (and
// whose disk kubelet no longer counts); emptied in place, it lands in the directory, where the
// next pass finds it. The empty file itself is removed once it is older than max-age.
import { fstatSync, ftruncateSync, futimesSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

export interface Unchanged {
  size: number;
  mtimeMs: number;
}

/**
 * Empties the open file if its size and mtime are still `expected`, and gives it back its
 * mtime, so that an emptied file does not pass for the newest of its stream. Synchronous from
 * the check to the truncate: no event-loop turn in between, so only a write in those few
 * microseconds (after the file was idle for closed-after) could slip between them. False when
 * the file changed: it is left as it is.
 */
export function emptyIfUnchanged(handle: FileHandle, expected: Unchanged): boolean {
  const before = fstatSync(handle.fd);
  if (before.size !== expected.size || before.mtimeMs !== expected.mtimeMs) return false;
  ftruncateSync(handle.fd, 0);
  try {
    futimesSync(handle.fd, before.atime, before.mtime);
  } catch {
    // Only the file's owner may set its times. An emptied file that keeps the time of its
    // emptying passes for the newest of its stream for a while: harmless, as a file it
    // supersedes is then archived the same way, emptied in place.
  }
  return true;
}
