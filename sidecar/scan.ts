// Lists the log directory with lstat only. The planner sees regular files and nothing else:
// a symlink might point outside the directory, a FIFO would block a reader, a device is
// nobody's log. Names come from readdir, so they cannot contain `..` or leave the directory.
import { posix } from 'node:path';
import { errorCode, type SidecarFs } from './fs.ts';
import type { FileInfo } from './types.ts';

export type SkipReason = 'symlink' | 'fifo' | 'socket' | 'device' | 'directory' | 'vanished' | 'unreadable';

export interface ScanResult {
  files: FileInfo[];
  skipped: { name: string; why: SkipReason; code?: string }[];
}

export async function scan(dir: string, options: { recursive: boolean }, fs: SidecarFs): Promise<ScanResult> {
  const result: ScanResult = { files: [], skipped: [] };
  const pending = [''];
  while (pending.length > 0) {
    const relative = pending.shift()!;
    let entries: Awaited<ReturnType<SidecarFs['readdir']>>;
    try {
      entries = await fs.readdir(posix.join(dir, relative));
    } catch (error) {
      // The top directory missing or unreadable is the caller's problem; a subdirectory is not.
      if (relative === '') throw error;
      result.skipped.push({ name: relative, why: 'unreadable', code: errorCode(error) });
      continue;
    }
    for (const entry of entries) {
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      let stats: Awaited<ReturnType<SidecarFs['lstat']>>;
      try {
        stats = await fs.lstat(posix.join(dir, name));
      } catch (error) {
        const code = errorCode(error);
        result.skipped.push({ name, why: code === 'ENOENT' ? 'vanished' : 'unreadable', code });
        continue;
      }
      if (stats.isFile()) {
        result.files.push({
          name,
          size: stats.size,
          allocatedBytes: stats.blocks * 512,
          mtimeMs: stats.mtimeMs,
          kind: 'file',
        });
      } else if (stats.isDirectory()) {
        if (options.recursive) pending.push(name);
        else result.skipped.push({ name, why: 'directory' });
      } else {
        result.skipped.push({ name, why: skipReason(stats) });
      }
    }
  }
  result.files.sort((a, b) => (a.name < b.name ? -1 : 1));
  return result;
}

function skipReason(stats: Awaited<ReturnType<SidecarFs['lstat']>>): SkipReason {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  return 'device';
}

/** Allocated bytes of everything in the directory: what kubelet compares with the size limit. */
export function usageOf(files: readonly FileInfo[]): number {
  return files.reduce((sum, file) => sum + file.allocatedBytes, 0);
}
